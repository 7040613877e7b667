import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { simulatorControl } from "../../../local/portal-simulator-control.js";
import { SEED_GET_RESPONSE } from "../../fixtures/seed-examples.js";
import { clientFor, rejectionOf, useSimulators } from "../../support/portal-harness.js";

const start = useSimulators();

describe("simulatorControl", () => {
  it("adds, generates and lists keys with their history over HTTP", async () => {
    const sim = await start();
    const control = simulatorControl(sim.origin);
    await control.addKeys([SEED_GET_RESPONSE[0]!]);
    const generated = await control.generateKeys(2, { devRefId: "p-{n}" });
    await clientFor(sim).updateKey({ customerKey: "QJXZR4PNK5B8W2HD", devRefId: "renamed" });
    const keys = await control.keys();
    expect(keys.map((k) => [k.CustomerKey, k.DevRefId, k.history.map((h) => h.status)])).toEqual([
      ["QJXZR4PNK5B8W2HD", "renamed", [200]],
      [generated[0]!.CustomerKey, "p-1", []],
      [generated[1]!.CustomerKey, "p-2", []],
    ]);
  });

  it("sets faults and queues faults that the next requests meet", async () => {
    const sim = await start();
    const control = simulatorControl(sim.origin);
    expect(await control.setFaults({ latencyMs: 5 })).toMatchObject({ latencyMs: 5, outage: false });
    await control.queueFaults({ kind: "status", status: 504, body: "gateway timeout" });
    const error = await rejectionOf(clientFor(sim).listKeys());
    expect(error.message).toBe("GET /apikeys?Offset=0&Limit=100: 504 GatewayTimeout: gateway timeout");
    expect((await control.state()).faults.latencyMs).toBe(5);
  });

  it("sets and lifts the rate limit", async () => {
    const sim = await start();
    const control = simulatorControl(sim.origin);
    await control.setRateLimit(5);
    expect((await control.state()).maxRequestsPerSecond).toBe(5);
    await control.setRateLimit(undefined);
    expect((await control.state()).maxRequestsPerSecond).toBeNull();
  });

  it("reports calls and stats, and resets them", async () => {
    const sim = await start();
    const control = simulatorControl(sim.origin);
    await clientFor(sim).createKey();
    expect((await control.calls()).map((c) => [c.method, c.status])).toEqual([["POST", 201]]);
    expect(await control.stats()).toEqual({
      requests: 1,
      byStatus: { "201": 1 },
      rateLimited: 0,
      maxInAnyWindow: 1,
    });
    await control.reset();
    expect(await control.state()).toMatchObject({ keys: [], calls: [], stats: { requests: 0 } });
  });

  it("names a bad fault or key in its error", async () => {
    const sim = await start();
    const control = simulatorControl(sim.origin);
    await expect(control.setFaults({ errorRate: 2 })).rejects.toThrow(
      "Simulator control POST /faults: 400: Invalid faults: errorRate:",
    );
    await expect(control.queueFaults({ kind: "explode" } as never)).rejects.toThrow(
      "Simulator control POST /queue: 400: Invalid queued fault [0]: kind:",
    );
    await expect(control.addKeys([{ KeyStatus: 5 as never }])).rejects.toThrow(
      "Simulator control POST /keys: 400: Key [0]: KeyStatus must be a string",
    );
  });

  it("does not count control requests as portal calls", async () => {
    const sim = await start({ maxRequestsPerSecond: 1 });
    const control = simulatorControl(sim.origin);
    for (let i = 0; i < 3; i++) await control.state();
    expect(sim.stats().requests).toBe(0);
  });
});

describe("npm run simulator", () => {
  const cli = (args: string[]) =>
    spawn(process.execPath, ["--import", "tsx", "bin/simulator.ts", ...args], {
      cwd: fileURLToPath(new URL("../../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });

  it("prints its URL and credentials, serves the seed's example keys, and stops on SIGTERM", async () => {
    const child = cli(["--port", "0", "--seed-example", "--rps", "5"]);
    let out = "";
    child.stdout.setEncoding("utf8");
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        out += chunk;
        if (out.includes("Ctrl-C to stop.")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`simulator exited early with ${code}: ${out}`)));
    });
    await ready;
    const url = /OPEN_DENTAL_BASE_URL=(\S+)/.exec(out)![1]!;
    expect(out).toContain("OPEN_DENTAL_DEVELOPER_KEY=simdev-developer-key-0001");
    expect(out).toContain("OPEN_DENTAL_DEVELOPER_PORTAL_KEY=simdev-portal-key-0001");
    expect(out).toContain("keys: 4; rate limit: 5/s");
    const response = await fetch(`${url}/apikeys`, {
      headers: { Authorization: "ODFHIR simdev-developer-key-0001/simdev-portal-key-0001" },
    });
    expect(await response.json()).toEqual(SEED_GET_RESPONSE);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it.each([
    [
      ["--port", "abc"],
      "error: option '--port <port>' argument 'abc' is invalid. Expected a whole number from 0 to 65535.",
    ],
    [["--bogus"], "error: unknown option '--bogus'"],
    [
      ["--error-rate", "0.7", "--timeout-rate", "0.7"],
      "error: Invalid faults: the fault rates add up to 1.4, more than 1",
    ],
  ])("exits 2 with a one-line error for %j", async (args, message) => {
    const child = cli(args);
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      err += chunk;
    });
    const [code] = await once(child, "exit");
    expect([code, err.trim()]).toEqual([2, message]);
  });
});
