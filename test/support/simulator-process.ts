// Runs the portal simulator in its own process (`npm run simulator`), so the times it records requests at are
// not skewed by the test process's busy event loop — as the real portal runs on its own machine.
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../lib/handler-function.js";
import { DEFAULT_SIMULATOR_CREDENTIALS } from "../../local/portal-simulator.js";
import { type SimulatorControl, simulatorControl } from "../../local/portal-simulator-control.js";

export interface SimulatorProcess {
  readonly url: string;
  readonly origin: string;
  readonly control: SimulatorControl;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(args: string[]): Promise<SimulatorProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_ROOT, "bin/simulator.ts"), "--port", "0", ...args],
    { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const origin = await new Promise<string>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code}: ${output}`)));
  });
  return {
    origin,
    url: `${origin}/api/v1`,
    control: simulatorControl(origin),
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export const SIMULATOR_PROCESS_CREDENTIALS = DEFAULT_SIMULATOR_CREDENTIALS;
