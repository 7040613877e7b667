// Runs the real ops CLI (`npm run ops -- --local …`) against a local stack, as an operator would, for the demo
// and the tests.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { PROJECT_ROOT } from "../lib/handler-function.js";
import { STATE_DIR_VARIABLE } from "./local-endpoints.js";

export interface OpsRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run ops -- --local <args>` against the stack whose state directory is `stateDir`. */
export async function runOpsLocal(stateDir: string, args: readonly string[]): Promise<OpsRun> {
  const child = spawn("npm", ["run", "--silent", "ops", "--", "--local", ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, [STATE_DIR_VARIABLE]: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = await once(child, "exit");
  return { code: code as number, stdout, stderr };
}
