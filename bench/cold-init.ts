// Cold-init measurement: fresh `node` processes (bench/init-probe.mjs) each load one bundle from its file and
// handle one event; the time from process start to handler return is read inside the child, and a bare probe
// run (no bundle) in the same round is subtracted. Runs are interleaved, with the order rotated every round.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { PROJECT_ROOT } from "../lib/handler-function.js";

const PROBE = path.join(PROJECT_ROOT, "bench", "init-probe.mjs");

/** How a run ended: the handler returned (with a status code, for HTTP handlers) or threw, at init or invoke. */
export interface ProbeOutcome {
  readonly phase: "returned" | "init" | "invoke";
  readonly statusCode?: number;
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
}

export interface ProbeResult {
  /** Milliseconds from process start (performance.timeOrigin) to the handler's return, or to the probe's start. */
  readonly doneMs: number;
  /** CPU time (user + system, all threads) the process had used by then. */
  readonly cpuMs: number;
  /** Milliseconds from process start to the bundle's module having loaded. */
  readonly importedMs?: number;
  /** CPU time used by the time the module had loaded. */
  readonly importedCpuMs?: number;
  readonly outcome?: ProbeOutcome;
}

/** One kind of run in a round: the bare baseline or one bundle under one environment. */
export interface ProbeTarget {
  readonly id: string;
  readonly mode: "baseline" | "esm" | "cjs";
  readonly file?: string;
  readonly event?: () => unknown;
  /** The child's whole environment (nothing is inherited, so npm's or tsx's NODE_OPTIONS cannot leak in). */
  readonly env: Readonly<Record<string, string>>;
}

/** A TCP port on 127.0.0.1 nothing listens on (bound, then released), so connections are refused at once. */
export async function closedLocalPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  if (address === null || typeof address === "string") throw new Error("no TCP port was assigned");
  return address.port;
}

/** Runs the probe once in a fresh process of `nodeBinary`. */
export function runProbe(target: ProbeTarget, nodeBinary = process.execPath): Promise<ProbeResult> {
  const args =
    target.mode === "baseline"
      ? [PROBE, "baseline"]
      : [PROBE, target.mode, target.file!, JSON.stringify(target.event?.() ?? {})];
  const child = spawn(nodeBinary, args, {
    env: { ...target.env },
    cwd: target.file ? path.dirname(target.file) : PROJECT_ROOT,
    stdio: ["ignore", "ignore", "pipe", "pipe"],
  });
  let report = "";
  let stderr = "";
  (child.stdio[3] as Readable).setEncoding("utf8").on("data", (chunk: string) => {
    report += chunk;
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 || report === "") {
        reject(new Error(`probe ${target.id} exited with ${code}: ${stderr.slice(0, 2000)}`));
        return;
      }
      resolve(JSON.parse(report) as ProbeResult);
    });
  });
}

/**
 * `rounds` rounds of one run per target, in sequence (parallel runs would compete for the CPU); round r starts
 * at target r mod n, so no target always follows the same one.
 */
export async function runInterleaved(
  targets: readonly ProbeTarget[],
  rounds: number,
  options: { nodeBinary?: string; onRound?: (round: number) => void } = {},
): Promise<Map<string, ProbeResult[]>> {
  const results = new Map<string, ProbeResult[]>(targets.map((target) => [target.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(round + i) % targets.length]!;
      results.get(target.id)!.push(await runProbe(target, options.nodeBinary));
    }
    options.onRound?.(round + 1);
  }
  return results;
}

/** Median (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile, `p` in (0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Each run's wall (or CPU) time minus that of the baseline run of the same round. */
export function minusBaseline(
  runs: readonly ProbeResult[],
  baseline: readonly ProbeResult[],
  measure: "doneMs" | "cpuMs" = "doneMs",
): number[] {
  return runs.map((run, round) => run[measure] - baseline[round]![measure]);
}

/** `{phase, name/code or statusCode}` as one string, to compare what two variants' runs did. */
export function outcomeKey(outcome: ProbeOutcome | undefined): string {
  if (!outcome) return "none";
  if (outcome.phase === "returned") return `returned ${outcome.statusCode ?? "(no status)"}`;
  return `threw at ${outcome.phase}: ${outcome.name}${outcome.code ? ` (${outcome.code})` : ""}`;
}
