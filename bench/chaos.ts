// `npm run chaos`: the chaos suite at full size (or as the options say), exit 0 only if every invariant holds.
import { randomInt } from "node:crypto";
import { Command, InvalidArgumentError } from "commander";
import { type ChaosOptions, FULL_CHAOS, SMALL_CHAOS } from "./chaos/chaos-options.js";
import { describeRun, formatChaosReport } from "./chaos/chaos-report.js";
import { runChaos } from "./chaos/run-chaos.js";

function wholeNumber(name: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

function fraction(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === "" || !(n >= 0 && n <= 1))
      throw new InvalidArgumentError(`${name} must be a number from 0 to 1, got "${value}"`);
    return n;
  };
}

const program = new Command()
  .name("npm run chaos --")
  .description(
    "Runs the chaos suite on a fresh local stack: onboardings through signed webhooks (duplicate deliveries and " +
      "concurrent pairs mixed in) and offboardings, while the portal simulator injects 5xx, throttling, " +
      "commit-then-drop, latency jitter and a full outage; then reconciliation with repair; then checks every " +
      "invariant of docs/architecture.md §4. The seed is printed first: the same seed gives the same plan and the same fault " +
      "dice (timing still varies). Exit 0 when every invariant holds, 1 when one fails, 2 on bad usage.",
  )
  .option("--seed <n>", "seed of every random choice (default: a random one, printed)", wholeNumber("--seed"))
  .option("--small", "the configuration npm test runs (30 onboardings, 8 offboardings, 5 s outage)")
  .option(
    "--onboardings <n>",
    `practices onboarded (default ${FULL_CHAOS.onboardings})`,
    wholeNumber("--onboardings"),
  )
  .option(
    "--offboardings <n>",
    `ACTIVE practices offboarded (default ${FULL_CHAOS.offboardings})`,
    wholeNumber("--offboardings"),
  )
  .option(
    "--outage <seconds>",
    `full portal outage in the middle (default ${FULL_CHAOS.outageMs / 1000})`,
    wholeNumber("--outage"),
  )
  .option(
    "--duplicate-rate <r>",
    `share of deliveries sent twice (default ${FULL_CHAOS.duplicateRate})`,
    fraction("--duplicate-rate"),
  )
  .option(
    "--concurrent-rate <r>",
    `share of practices with a concurrent pair (default ${FULL_CHAOS.concurrentPairRate})`,
    fraction("--concurrent-rate"),
  )
  .option("--error-rate <r>", "share of portal requests answered 5xx (default 0.1)", fraction("--error-rate"))
  .option("--throttle-rate <r>", "share answered 429 (default 0.05)", fraction("--throttle-rate"))
  .option(
    "--drop-rate <r>",
    "share applied then dropped without an answer (default 0.02)",
    fraction("--drop-rate"),
  )
  .option(
    "--portal-rps <n>",
    `PORTAL_MAX_RPS and the simulator's limit (default ${FULL_CHAOS.portalMaxRps})`,
    wholeNumber("--portal-rps"),
  )
  .option(
    "--retry-pause <ms>",
    `Step Functions retry pause (default ${FULL_CHAOS.retryIntervalMs})`,
    wholeNumber("--retry-pause"),
  )
  .option("--json", "print the result as JSON after the table")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

interface CliOptions {
  seed?: number;
  small?: boolean;
  onboardings?: number;
  offboardings?: number;
  outage?: number;
  duplicateRate?: number;
  concurrentRate?: number;
  errorRate?: number;
  throttleRate?: number;
  dropRate?: number;
  portalRps?: number;
  retryPause?: number;
  json?: boolean;
}

async function main(): Promise<void> {
  program.parse();
  const cli = program.opts<CliOptions>();
  const base = cli.small ? SMALL_CHAOS : FULL_CHAOS;
  const seed = cli.seed ?? randomInt(1, 1_000_000);
  const onboardings = cli.onboardings ?? base.onboardings;
  const offboardings = cli.offboardings ?? Math.min(base.offboardings, onboardings);
  const options: ChaosOptions = {
    ...base,
    seed,
    onboardings,
    offboardings,
    repeatedOffboardings: Math.min(base.repeatedOffboardings, offboardings),
    returningPractices: Math.min(base.returningPractices, offboardings),
    outageMs: cli.outage === undefined ? base.outageMs : cli.outage * 1000,
    duplicateRate: cli.duplicateRate ?? base.duplicateRate,
    concurrentPairRate: cli.concurrentRate ?? base.concurrentPairRate,
    faults: {
      ...base.faults,
      ...(cli.errorRate === undefined ? {} : { errorRate: cli.errorRate }),
      ...(cli.throttleRate === undefined ? {} : { throttleRate: cli.throttleRate }),
      ...(cli.dropRate === undefined ? {} : { commitThenDropRate: cli.dropRate }),
    },
    portalMaxRps: cli.portalRps ?? base.portalMaxRps,
    retryIntervalMs: cli.retryPause ?? base.retryIntervalMs,
    log: (line) => process.stdout.write(`  ${line}\n`),
  };
  process.stdout.write(
    `Chaos seed ${seed}  (reproduce: npm run chaos -- --seed ${seed}${cli.small ? " --small" : ""})\n`,
  );
  process.stdout.write(`  ${describeRun({ seed, options, outageAtMs: 0 }).replace(/ from 0\.0 s/, "")}\n`);
  let result: Awaited<ReturnType<typeof runChaos>>;
  try {
    result = await runChaos(options);
  } catch (error) {
    process.stderr.write(`npm run chaos: ${(error as Error).message}\n`);
    process.exit(/must be|cannot exceed/.test((error as Error).message) ? 2 : 1);
  }
  process.stdout.write(formatChaosReport(result));
  if (cli.json) {
    const { log: _log, ...shownOptions } = result.options;
    process.stdout.write(`${JSON.stringify({ ...result, options: shownOptions }, null, 2)}\n`);
  }
  process.exit(result.passed ? 0 : 1);
}

void main();
