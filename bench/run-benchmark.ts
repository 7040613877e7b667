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
    const configFile = path.join(scratch, "config.json");
    writeFileSync(configFile, JSON.stringify(options.config));
    const phases: PhaseResults = {};
    for (const phase of options.phases) {
      const outFile = path.join(scratch, `${phase}.json`);
      await runPhaseProcess(phase, configFile, outFile);
      Object.assign(phases, JSON.parse(readFileSync(outFile, "utf8")) as PhaseResults);
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
      ["--import", "tsx", path.join(BENCH_DIR, "phase-process.ts"), phase, configFile, outFile],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`benchmark phase ${phase} exited with ${signal ?? code}`)),
    );
  });
}
