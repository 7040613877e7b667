// Runs the real `npm start` as a newcomer would (npm → node → the stack), and reads what it prints and the
// processes it owns, for the local-stack tests.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type PracticeRecord, PracticeStore } from "../../functions/practice/practice-store.js";
import { PROJECT_ROOT } from "../../lib/handler-function.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import {
  type LocalEndpoints,
  READY_LINE,
  readLocalEndpoints,
  STACK_OUTPUTS,
} from "../../local/local-stack.js";

export interface NpmStart {
  readonly child: ChildProcess;
  readonly stateDir: string;
  /** Everything printed so far, stdout and stderr apart. */
  readonly output: { stdout: string; stderr: string };
  /** Resolves with endpoints.json once the ready line is printed; rejects if the process exits first. */
  ready(): Promise<LocalEndpoints>;
  /** Resolves with the exit code (or the signal's name). */
  exited(): Promise<number | string>;
}

/** A new empty state directory, so a test never meets a developer's running stack or another test's. */
export function temporaryStateDir(): string {
  return mkdtempSync(path.join(tmpdir(), "local-stack-test-"));
}

export function spawnNpmStart(env: Record<string, string>, args: readonly string[] = []): NpmStart {
  const stateDir = env.PRACTICE_ONBOARDING_STATE_DIR ?? temporaryStateDir();
  const child = spawn("npm", ["start", ...(args.length ? ["--", ...args] : [])], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      // Variables of the test runner's own environment must not leak into the stack under test.
      OPEN_DENTAL_BASE_URL: "",
      OPEN_DENTAL_DEVELOPER_KEY: "",
      OPEN_DENTAL_DEVELOPER_PORTAL_KEY: "",
      WEBHOOK_SECRET: "",
      LOCAL_DATA_DIR: "",
      PORTAL_MAX_RPS: "",
      ...env,
      PRACTICE_ONBOARDING_STATE_DIR: stateDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  const exit = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  child.stderr?.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const readyLine = new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => {
      output.stdout += `${line}\n`;
      if (line.startsWith(READY_LINE)) resolve();
    });
    void exit.then((code) =>
      reject(new Error(`npm start exited (${code}) before it was ready:\n${output.stdout}${output.stderr}`)),
    );
  });
  // Tests that expect an early exit never ask for ready(): its rejection is theirs to ignore.
  readyLine.catch(() => undefined);
  return {
    child,
    stateDir,
    output,
    ready: async () => {
      await readyLine;
      return readLocalEndpoints(stateDir);
    },
    exited: () => exit,
  };
}

/** Linux process state from /proc (`R`, `S`, `Z`…), or undefined once the process is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/** Whether the process still runs (a zombie waiting to be reaped has stopped running). */
export function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== "Z" && state !== "X";
}

/** Every live descendant of `pid` (children, their children…). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone between readdir and read.
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found.filter(isRunning);
}

/** The TCP ports `pid` listens on (read from /proc, so no `ss`/`lsof` is needed). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // Closed while reading.
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, localAddress, , state, , , , , , inode] = fields;
      if (state === "0A" && inode && inodes.has(inode))
        ports.add(Number.parseInt(localAddress!.split(":")[1]!, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** Awaits `condition` (polled), failing with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  condition: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The practice record in the running stack's table (what `ops --local status` shows). */
export async function readPractice(endpoints: LocalEndpoints, practiceId: string) {
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(endpoints.dynamoDbEndpoint));
  try {
    const store = new PracticeStore({ client, tableName: endpoints.outputs[STACK_OUTPUTS.tableName]! });
    return await store.getPractice(practiceId);
  } finally {
    client.destroy();
  }
}

export function waitUntilActive(endpoints: LocalEndpoints, practiceId: string): Promise<PracticeRecord> {
  return waitFor(`${practiceId} to be ACTIVE`, async () => {
    const practice = await readPractice(endpoints, practiceId);
    return practice?.status === "ACTIVE" ? practice : undefined;
  });
}

/** SIGTERM to npm (as a process manager sends it) and await its exit; nothing when it has already ended. */
export async function stopNpmStart(started: NpmStart | undefined): Promise<void> {
  if (!started || started.child.exitCode !== null || started.child.signalCode !== null) return;
  started.child.kill("SIGTERM");
  await started.exited();
}

export { type OpsRun, runOpsLocal } from "../../local/run-ops.js";
