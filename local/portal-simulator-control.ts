// Typed client for a running simulator's `/_simulator/…` control routes, for users in another process
// (npm start, the demo, chaos runs). Same operations as the in-process PortalSimulator handle.
import type {
  GenerateKeysOptions,
  PortalSimulatorFaults,
  QueuedFault,
  SimulatorCall,
  SimulatorKey,
  SimulatorRawKey,
  SimulatorState,
  SimulatorStats,
} from "./portal-simulator.js";

export interface SimulatorControl {
  state(): Promise<SimulatorState>;
  keys(): Promise<SimulatorKey[]>;
  calls(): Promise<SimulatorCall[]>;
  stats(): Promise<SimulatorStats>;
  addKeys(raw: Array<Partial<SimulatorRawKey>>): Promise<SimulatorRawKey[]>;
  generateKeys(count: number, options?: GenerateKeysOptions): Promise<SimulatorRawKey[]>;
  /** The office installs the key in Open Dental (DateTimeAssigned set; default now). */
  assignKey(customerKey: string, dateTimeAssigned?: string): Promise<void>;
  setFaults(partial: Partial<PortalSimulatorFaults>): Promise<PortalSimulatorFaults>;
  setRateLimit(maxRequestsPerSecond: number | undefined): Promise<void>;
  queueFaults(...faults: QueuedFault[]): Promise<void>;
  reset(): Promise<void>;
}

/** `origin` is the simulator's origin (`http://127.0.0.1:4010`), not its API base URL. */
export function simulatorControl(
  origin: string,
  fetchImpl: typeof fetch = globalThis.fetch,
): SimulatorControl {
  const base = `${origin.replace(/\/+$/, "")}/_simulator`;

  async function call<T>(method: "GET" | "POST", route: string, body?: unknown): Promise<T> {
    const response = await fetchImpl(`${base}${route}`, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`Simulator control ${method} ${route}: ${response.status} with a non-JSON body`);
    }
    if (!response.ok) {
      const message = (parsed as { error?: unknown })?.error ?? text;
      throw new Error(`Simulator control ${method} ${route}: ${response.status}: ${String(message)}`);
    }
    return parsed as T;
  }

  return {
    state: () => call<SimulatorState>("GET", "/state"),
    keys: async () => (await call<SimulatorState>("GET", "/state")).keys,
    calls: async () => (await call<SimulatorState>("GET", "/state")).calls,
    stats: async () => (await call<SimulatorState>("GET", "/state")).stats,
    addKeys: async (raw) => (await call<{ keys: SimulatorRawKey[] }>("POST", "/keys", { keys: raw })).keys,
    generateKeys: async (count, options = {}) =>
      (await call<{ keys: SimulatorRawKey[] }>("POST", "/keys", { generate: count, ...options })).keys,
    assignKey: async (customerKey, dateTimeAssigned) => {
      await call("POST", "/keys/assign", {
        customerKey,
        ...(dateTimeAssigned === undefined ? {} : { dateTimeAssigned }),
      });
    },
    setFaults: async (partial) =>
      (await call<{ faults: PortalSimulatorFaults }>("POST", "/faults", partial)).faults,
    setRateLimit: async (value) => {
      await call("POST", "/rate-limit", { maxRequestsPerSecond: value ?? null });
    },
    queueFaults: async (...faults) => {
      await call("POST", "/queue", faults);
    },
    reset: async () => {
      await call("POST", "/reset", {});
    },
  };
}
