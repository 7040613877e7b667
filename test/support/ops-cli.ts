// Runs the real ops binary (bin/ops.ts under tsx, on the Node running the tests) as a child process.
import { spawn } from "node:child_process";
import { PROJECT_ROOT } from "../../lib/handler-function.js";

export interface OpsRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The local stack sets AWS_* variables in the test process for its handlers; a child must not inherit them. */
const AWS_VARIABLE = /^AWS_/;

/**
 * Runs `ops args…` with the test process's environment minus every `AWS_*` variable, plus `env`: a run sees
 * exactly the AWS configuration its test gives it.
 */
export function runOpsCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<OpsRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !AWS_VARIABLE.test(name)),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bin/ops.ts", ...args], {
      cwd: PROJECT_ROOT,
      env: { ...inherited, ...env },
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
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
