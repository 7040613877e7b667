// `npm run bench`: counts, cost, latency, throughput and reconciliation scale of the workflows on the local
// stack; writes bench/results.json and bench/results.md and prints the tables.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import { type BenchmarkConfig, FULL_CONFIG, QUICK_CONFIG } from "./benchmark-config.js";
import { PHASES, type PhaseName } from "./phases.js";
import { runBenchmark } from "./run-benchmark.js";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

const positiveInteger = (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return parsed;
};

const program = new Command()
  .name("npm run bench --")
  .description(
    "Benchmark the workflows on the local stack (DynamoDB Local, the portal simulator, the synthesized state " +
      "machines): per-run portal calls, Lambda invocations, state transitions, DynamoDB reads/writes and Secrets " +
      "Manager calls, counted on the wire, and the AWS cost per 1,000 runs at published us-east-1 prices; the " +
      "end-to-end latency of one onboarding against the floor of its own requests replayed in sequence; the " +
      "throughput of concurrent onboardings under the portal rate limit. Each phase runs in a fresh process.",
  )
  .option("--quick", "small sizes (what the smoke test runs): 2 counted runs, 3 latency runs, 20 onboardings")
  .addOption(new Option("--only <phases...>", "run only these phases").choices([...PHASES]))
  .option("--runs <n>", "latency runs per portal latency (default 20, quick 3)", positiveInteger)
  .option(
    "--onboardings <n>",
    "concurrent onboardings for throughput, at every rate (default 200 at 20, 5 and 1 req/s; quick 20)",
    positiveInteger,
  )
  .option(
    "--throughput-rates <rps...>",
    "PORTAL_MAX_RPS of the throughput runs, one process each (default 20 5 1; quick 20)",
    (value: string, previous: number[] = []) => [...previous, positiveInteger(value)],
  )
  .option(
    "--reconciliation-keys <n...>",
    "portal key counts to reconcile (default 1000 10000 100000; quick 200)",
    (value: string, previous: number[] = []) => [...previous, positiveInteger(value)],
  )
  .option("--out-dir <dir>", "where results.json and results.md go", BENCH_DIR)
  .option("--no-write", "print the tables without writing results files")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<{
    quick?: boolean;
    only?: PhaseName[];
    runs?: number;
    onboardings?: number;
    throughputRates?: number[];
    reconciliationKeys?: number[];
    outDir: string;
    write: boolean;
  }>();
  const base = options.quick ? QUICK_CONFIG : FULL_CONFIG;
  const onboardingsAt = (rps: number) =>
    options.onboardings ??
    base.throughput.find((run) => run.portalMaxRps === rps)?.onboardings ??
    base.throughput[0]?.onboardings ??
    200;
  const rates = options.throughputRates ?? base.throughput.map((run) => run.portalMaxRps);
  const config: BenchmarkConfig = {
    ...base,
    ...(options.runs ? { latencyRuns: options.runs } : {}),
    throughput: rates.map((portalMaxRps) => ({ portalMaxRps, onboardings: onboardingsAt(portalMaxRps) })),
    ...(options.reconciliationKeys ? { reconciliationKeys: options.reconciliationKeys } : {}),
  };
  const { markdown } = await runBenchmark({
    config,
    phases: options.only ?? [...PHASES],
    ...(options.write ? { outDir: path.resolve(options.outDir) } : {}),
  });
  process.stdout.write(`\n${markdown}`);
  if (options.write) process.stdout.write(`\nWrote ${path.join(options.outDir, "results.{json,md}")}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`npm run bench: ${error.message}\n`);
  process.exit(1);
});
