// Runs the real ops binary (bin/ops.ts under tsx, on the Node running the tests) as a child process.
import { type ChildProcess, spawn } from "node:child_process";
import { PROJECT_ROOT } from "../../lib/handler-function.js";

export interface OpsRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI still running: its output so far, a way to await a line, and its end. */
export interface RunningOps {
  readonly child: ChildProcess;
  /** Resolves with the stdout so far once it matches `pattern`; rejects if the CLI ends first. */
  stdoutMatching(pattern: RegExp): Promise<string>;
  readonly finished: Promise<OpsRun>;
}

/** The local stack sets AWS_* variables in the test process for its handlers; a child must not inherit them. */
const AWS_VARIABLE = /^AWS_/;

/**
 * Starts `ops args…` with the test process's environment minus every `AWS_*` variable, plus `env`: a run sees
 * exactly the AWS configuration its test gives it.
 */
export function startOpsCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): RunningOps {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !AWS_VARIABLE.test(name)),
  );
  const child = spawn(process.execPath, ["--import", "tsx", "bin/ops.ts", ...args], {
    cwd: PROJECT_ROOT,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const watch of watchers) watch();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const finished = new Promise<OpsRun>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    finished,
    stdoutMatching: (pattern) =>
      new Promise((resolve, reject) => {
        const watch = () => {
          if (!pattern.test(stdout)) return;
          watchers.delete(watch);
          resolve(stdout);
        };
        watchers.add(watch);
        watch();
        finished.then(
          (run) =>
            reject(
              new Error(
                `ops ended (exit ${run.code}) before printing ${pattern}:\n${run.stdout}${run.stderr}`,
              ),
            ),
          reject,
        );
      }),
  };
}

/** Runs `ops args…` to its end (see startOpsCli). */
export function runOpsCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<OpsRun> {
  return startOpsCli(args, env).finished;
}
