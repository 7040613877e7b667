// Child-process entry: runs one benchmark phase on a fresh local stack and writes its results as JSON.
// Usage (by run-benchmark.ts): node --import tsx bench/phase-process.ts <phase> <config.json> <out.json>
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import type { BenchmarkConfig } from "./benchmark-config.js";
import { PHASES, type PhaseName, type PhaseResults, runPhase } from "./phases.js";

const [phase, configFile, outFile] = process.argv.slice(2);
if (!phase || !PHASES.includes(phase as PhaseName) || !configFile || !outFile) {
  process.stderr.write(`usage: phase-process.ts <${PHASES.join("|")}> <config.json> <out.json>\n`);
  process.exit(2);
}
const config = JSON.parse(readFileSync(configFile, "utf8")) as BenchmarkConfig;
const start = loadavg()[0]!;
const results = await runPhase(phase as PhaseName, config);
const label =
  phase === "reconciliation"
    ? `reconciliation ${config.reconciliationKeys.join(",")}`
    : phase === "throughput"
      ? `throughput ${config.throughput.map((run) => `${run.portalMaxRps} req/s`).join(",")}`
      : phase;
writeFileSync(
  outFile,
  JSON.stringify({ ...results, load: { [label]: { start, end: loadavg()[0]! } } } satisfies PhaseResults),
);
// Handler modules keep SDK sockets and timers alive; the phase is over.
process.exit(0);
