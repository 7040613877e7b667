// The server side of the `/_simulator/…` control routes, which tests and other processes use to inspect and steer a
// running simulator; portal-simulator-control.ts is their typed client.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PortalSimulatorFaults, QueuedFault } from "./portal-simulator-faults.js";
import { readBody } from "./portal-simulator-http.js";
import type { SimulatorRawKey } from "./portal-simulator-keys.js";
import type { PortalSimulator } from "./portal-simulator-types.js";

export const SIMULATOR_CONTROL_PREFIX = "/_simulator";

/** The handle the routes drive, and two reads they answer with that the handle offers only inside state(). */
export interface ControlledSimulator {
  readonly simulator: PortalSimulator;
  queuedFaults(): QueuedFault[];
  maxRequestsPerSecond(): number | null;
}

export function isControlPath(pathname: string): boolean {
  return pathname === SIMULATOR_CONTROL_PREFIX || pathname.startsWith(`${SIMULATOR_CONTROL_PREFIX}/`);
}

function isLoopback(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

export async function handleControlRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  { simulator, queuedFaults, maxRequestsPerSecond }: ControlledSimulator,
): Promise<void> {
  const reply = (status: number, value: unknown) => {
    const body = JSON.stringify(value, null, 2);
    res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
    res.end(body);
  };
  if (!isLoopback(req.socket.remoteAddress)) {
    return reply(403, { error: "The simulator's control routes answer local requests only." });
  }
  try {
    const route = `${req.method} ${url.pathname.slice(SIMULATOR_CONTROL_PREFIX.length)}`;
    const text = await readBody(req);
    let input: unknown = {};
    if (text.trim() !== "") {
      try {
        input = JSON.parse(text);
      } catch {
        return reply(400, { error: "The request body is not valid JSON." });
      }
    }
    switch (route) {
      case "GET /state":
        return reply(200, simulator.state());
      case "POST /faults":
        return reply(200, { faults: simulator.setFaults(input as Partial<PortalSimulatorFaults>) });
      case "POST /queue": {
        const list = Array.isArray(input) ? input : [input];
        simulator.queueFaults(...(list as QueuedFault[]));
        return reply(200, { queuedFaults: queuedFaults() });
      }
      case "POST /keys": {
        const body = input as { generate?: unknown; status?: string; devRefId?: string; keys?: unknown };
        if (body && typeof body === "object" && "generate" in body) {
          const count = body.generate;
          if (typeof count !== "number" || !Number.isInteger(count) || count < 0 || count > 100_000) {
            return reply(400, { error: "generate must be a whole number from 0 to 100000" });
          }
          const options = {
            ...(body.status === undefined ? {} : { status: body.status }),
            ...(body.devRefId === undefined ? {} : { devRefId: body.devRefId }),
          };
          return reply(200, { keys: simulator.generateKeys(count, options) });
        }
        const raw = Array.isArray(input) ? input : body?.keys;
        if (!Array.isArray(raw)) {
          return reply(400, { error: "Expected an array of keys, {keys: [...]}, or {generate: n}" });
        }
        return reply(200, { keys: simulator.addKeys(raw as Array<Partial<SimulatorRawKey>>) });
      }
      case "POST /keys/assign": {
        const body = input as { customerKey?: unknown; dateTimeAssigned?: unknown };
        if (typeof body?.customerKey !== "string")
          return reply(400, { error: "customerKey (a string) is required" });
        if (body.dateTimeAssigned !== undefined && typeof body.dateTimeAssigned !== "string")
          return reply(400, { error: "dateTimeAssigned must be a string like 2025-06-01 09:30:00" });
        simulator.assignKey(body.customerKey, body.dateTimeAssigned);
        return reply(200, { assigned: true });
      }
      case "POST /reset":
        simulator.reset();
        return reply(200, { reset: true });
      case "POST /rate-limit": {
        const value = (input as { maxRequestsPerSecond?: unknown })?.maxRequestsPerSecond;
        if (value !== undefined && value !== null && typeof value !== "number") {
          return reply(400, { error: "maxRequestsPerSecond must be a number or null" });
        }
        simulator.setRateLimit(value ?? undefined);
        return reply(200, { maxRequestsPerSecond: maxRequestsPerSecond() });
      }
      default:
        return reply(404, {
          error: `Unknown control route ${route}`,
          routes: [
            "GET /_simulator/state",
            "POST /_simulator/faults",
            "POST /_simulator/queue",
            "POST /_simulator/keys",
            "POST /_simulator/keys/assign",
            "POST /_simulator/reset",
            "POST /_simulator/rate-limit",
          ],
        });
    }
  } catch (error) {
    return reply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}
