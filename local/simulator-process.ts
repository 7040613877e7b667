// Runs the portal simulator in its own process (`npm run simulator`), so the times it records requests at are
// not skewed by the caller's busy event loop — as the real portal runs on its own machine. The timing tests and
// the benchmark's throughput phase start it; both read it through its control routes.
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../lib/handler-function.js";
import { DEFAULT_SIMULATOR_CREDENTIALS } from "./portal-simulator.js";
import { type SimulatorControl, simulatorControl } from "./portal-simulator-control.js";

export interface SimulatorProcess {
  readonly url: string;
  readonly origin: string;
  readonly control: SimulatorControl;
  /** Stops the child and waits for it to exit; safe to call more than once. */
  stop(): Promise<void>;
}

/** `args` are bin/simulator.ts's options (e.g. `["--rps", "1"]`); it listens on a free port. */
export async function startSimulatorProcess(args: string[]): Promise<SimulatorProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_ROOT, "bin/simulator.ts"), "--port", "0", ...args],
    { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve()); // never spawned: there is no exit to wait for
  });
  // A caller that dies without stop() (an uncaught error, process.exit) takes the child with it.
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  let origin: string;
  try {
    origin = await new Promise<string>((resolve, reject) => {
      let output = "";
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          output = "";
          child.stdout!.removeListener("data", onData);
          child.stderr!.removeListener("data", onData);
          // Keep draining the pipes so the child never blocks on a full one.
          child.stdout!.resume();
          child.stderr!.resume();
          resolve(match[1]!);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`simulator exited with ${code}: ${output}`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { origin, url: `${origin}/api/v1`, control: simulatorControl(origin), stop };
}

export const SIMULATOR_PROCESS_CREDENTIALS = DEFAULT_SIMULATOR_CREDENTIALS;
