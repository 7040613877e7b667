// Runs the benchmark's phases, each in a fresh process (handler modules read PORTAL_MAX_RPS once per process),
// and writes bench/results.json and bench/results.md.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchmarkConfig } from "./benchmark-config.js";
import { assembleResults, type BenchmarkResults } from "./benchmark-results.js";
import type { PhaseName, PhaseResults } from "./phases.js";
import { renderMarkdown } from "./results-markdown.js";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface RunBenchmarkOptions {
  readonly config: BenchmarkConfig;
  readonly phases: readonly PhaseName[];
  /** Directory for results.json and results.md; undefined writes nothing. */
  readonly outDir?: string;
}

export async function runBenchmark(options: RunBenchmarkOptions): Promise<{
  results: BenchmarkResults;
  markdown: string;
}> {
  const scratch = mkdtempSync(path.join(tmpdir(), "bench-run-"));
  try {
    const phases: PhaseResults = {};
    const runs = options.phases.flatMap(
      (phase): Array<{ phase: PhaseName; config: BenchmarkConfig }> =>
        // One process per key count: the simulator's keys and the engine's histories stay in the process, and
        // the peak memory of one size must not include the previous size's.
        phase === "reconciliation"
          ? options.config.reconciliationKeys.map((keys) => ({
              phase,
              config: { ...options.config, reconciliationKeys: [keys] },
            }))
          : // One process per rate: handler modules read PORTAL_MAX_RPS once per process.
            phase === "throughput"
            ? options.config.throughput.map((run) => ({
                phase,
                config: { ...options.config, throughput: [run] },
              }))
            : [{ phase, config: options.config }],
    );
    for (const [index, run] of runs.entries()) {
      const configFile = path.join(scratch, `config-${index}.json`);
      const outFile = path.join(scratch, `${run.phase}-${index}.json`);
      writeFileSync(configFile, JSON.stringify(run.config));
      await runPhaseProcess(run.phase, configFile, outFile);
      const { load, ...result } = JSON.parse(readFileSync(outFile, "utf8")) as PhaseResults;
      phases.load = { ...phases.load, ...load };
      if (result.reconciliation)
        phases.reconciliation = [...(phases.reconciliation ?? []), ...result.reconciliation];
      else if (result.throughput) phases.throughput = [...(phases.throughput ?? []), ...result.throughput];
      else Object.assign(phases, result);
    }
    const results = assembleResults(options.config, phases);
    const markdown = renderMarkdown(results);
    if (options.outDir) {
      writeFileSync(path.join(options.outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(path.join(options.outDir, "results.md"), markdown);
    }
    return { results, markdown };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function runPhaseProcess(phase: PhaseName, configFile: string, outFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        "--import",
        "tsx",
        path.join(BENCH_DIR, "phase-process.ts"),
        phase,
        configFile,
        outFile,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`benchmark phase ${phase} exited with ${signal ?? code}`)),
    );
  });
}
