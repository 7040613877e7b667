// `npm run bench:bundles [-- --runs N] [-- --only <name>]`: size and cold init of every Lambda bundle, ours
// against NodejsFunction's defaults (issue 8, docs/architecture.md §8). Prints a markdown table and PASS/FAIL per target,
// and writes bench/results-bundles.json.
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import * as path from "node:path";
import { Command } from "commander";
import { PROJECT_ROOT, RUNTIME_SOURCE_MAPS_NODE_OPTIONS } from "../lib/handler-function.js";
import {
  closedLocalPort,
  median,
  minusBaseline,
  outcomeKey,
  type ProbeResult,
  type ProbeTarget,
  percentile,
  runInterleaved,
} from "./cold-init.js";
import { type BuiltBundle, buildBundle, discoverHandlerEntries, handlerName } from "./lambda-bundles.js";
import { fixtureFor, lambdaEnvironment } from "./lambda-event-fixtures.js";

/** Issue 8's targets. KB here is 1,000 bytes. */
const MAX_MINIFIED_BYTES = 350_000;
const MAX_INIT_RATIO = 0.7;

/**
 * The runs measured per handler: the bare baseline, the deployed bundle as deployed (NODE_OPTIONS from the
 * template), the same bundle with runtime source maps on, and the CDK defaults.
 */
const RUN_KINDS = ["baseline", "ours", "ours-runtime-source-maps", "cdk-defaults"] as const;
type RunKind = (typeof RUN_KINDS)[number];

interface InitStats {
  /** Wall time from process start to the handler's return, minus the same round's baseline. */
  readonly medianMs: number;
  readonly p90Ms: number;
  /** CPU time (all threads) over the same span, minus the baseline's: steadier on a busy machine. */
  readonly cpuMedianMs: number;
  readonly cpuP90Ms: number;
  /** Median time from process start to the module having loaded, minus the baseline (no handler call). */
  readonly importMedianMs: number;
  /** The same for CPU time: what loading the bundle costs before the first event. */
  readonly importCpuMedianMs: number;
  /** How the runs ended, with counts. */
  readonly outcomes: Record<string, number>;
}

/** Bad usage or a wrong runtime: one line, exit 2, before anything is built. */
function refuse(message: string): never {
  process.stderr.write(`npm run bench:bundles: ${message}\n`);
  process.exit(2);
}

const args = new Command()
  .name("npm run bench:bundles --")
  .description(
    "Size and cold init of every Lambda bundle, ours against NodejsFunction's defaults (docs/architecture.md §8): " +
      "builds each handler both ways, times interleaved cold starts, prints a markdown table and PASS/FAIL per " +
      "target, and writes bench/results-bundles.json. Takes minutes: run it on a quiet machine.",
  )
  .option("--runs <n>", "cold starts measured per bundle and kind", "20")
  .option("--only <handler...>", "measure only these handlers (names as in the table, e.g. crm-webhook)")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse()
  .opts<{ runs: string; only?: string[] }>();
const runs = Number(args.runs);
if (!/^\d+$/.test(args.runs) || runs < 1)
  refuse(`--runs must be a positive whole number, got "${args.runs}"`);
const nodeMajor = Number(process.versions.node.split(".")[0]);
if (nodeMajor !== 22) {
  refuse(
    `The Lambdas run on Node 22 but this is Node ${process.versions.node}; run through npm (node_modules/.bin/node)`,
  );
}

const kb = (bytes: number) => (bytes / 1000).toFixed(1);
const ms = (value: number) => value.toFixed(1);
const log = (line: string) => process.stderr.write(`${line}\n`);

function initStats(results: readonly ProbeResult[], baseline: readonly ProbeResult[]): InitStats {
  const net = minusBaseline(results, baseline);
  const imported = results.map((run, round) => (run.importedMs ?? run.doneMs) - baseline[round]!.doneMs);
  const outcomes: Record<string, number> = {};
  for (const run of results) {
    const key = outcomeKey(run.outcome);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  const cpu = minusBaseline(results, baseline, "cpuMs");
  const importedCpu = results.map((run, round) => (run.importedCpuMs ?? run.cpuMs) - baseline[round]!.cpuMs);
  return {
    medianMs: median(net),
    p90Ms: percentile(net, 90),
    cpuMedianMs: median(cpu),
    cpuP90Ms: percentile(cpu, 90),
    importMedianMs: median(imported),
    importCpuMedianMs: median(importedCpu),
    outcomes,
  };
}

const allEntries = await discoverHandlerEntries();
const unknown = (args.only ?? []).filter(
  (name) => !allEntries.some(({ entry }) => handlerName(entry) === name),
);
if (unknown.length > 0)
  refuse(
    `--only names no handler: ${unknown.join(", ")} (handlers: ${allEntries.map(({ entry }) => handlerName(entry)).join(", ")})`,
  );
const entries = allEntries.filter(({ entry }) => !args.only || args.only.includes(handlerName(entry)));
log(`Handlers: ${entries.map(({ entry, foundIn }) => `${entry} [${foundIn.join(", ")}]`).join("; ")}`);
const bundles = await Promise.all(
  entries.map(async ({ entry }) => ({
    ours: await buildBundle(entry, "ours"),
    "cdk-defaults": await buildBundle(entry, "cdk-defaults"),
  })),
);

const port = await closedLocalPort();
// https, as in production: for an http endpoint the SDK's ESM build loads node:http through import(), which
// makes Node load its bundled undici (~20 ms of CPU) — a cost no deployed function pays.
const closedEndpoint = `https://127.0.0.1:${port}`;
const report = [];
for (const [index, handler] of entries.entries()) {
  const built = bundles[index]!;
  const fixture = fixtureFor(handler.entry, closedEndpoint);
  // NODE_OPTIONS is the one variable that differs per run: as deployed for "ours", none for the defaults.
  const { NODE_OPTIONS: deployedNodeOptions, ...templateEnvironment } = handler.environment;
  const environment = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    // The Lambda runtime ships the SDK and finds it through NODE_PATH; the defaults' external imports need it.
    NODE_PATH: path.join(PROJECT_ROOT, "node_modules"),
    ...lambdaEnvironment(closedEndpoint),
    ...templateEnvironment,
    ...fixture.environment,
  };
  const bundleTarget = (id: RunKind, bundle: BuiltBundle, nodeOptions?: string): ProbeTarget => ({
    id,
    mode: bundle.format,
    file: bundle.file,
    event: fixture.event,
    env: nodeOptions ? { ...environment, NODE_OPTIONS: nodeOptions } : environment,
  });
  const targets: ProbeTarget[] = [
    { id: "baseline", mode: "baseline", env: environment },
    bundleTarget("ours", built.ours, deployedNodeOptions),
    bundleTarget("ours-runtime-source-maps", built.ours, RUNTIME_SOURCE_MAPS_NODE_OPTIONS),
    bundleTarget("cdk-defaults", built["cdk-defaults"]),
  ];
  log(`${handler.entry}: ${runs} rounds of ${targets.map(({ id }) => id).join(", ")}`);
  const results = await runInterleaved(targets, runs, {
    onRound: (round) => {
      if (round % 5 === 0 || round === runs) log(`  round ${round}/${runs}`);
    },
  });
  const baseline = results.get("baseline")!;
  const init = Object.fromEntries(
    RUN_KINDS.filter((kind) => kind !== "baseline").map((kind) => [
      kind,
      initStats(results.get(kind)!, baseline),
    ]),
  ) as Record<Exclude<RunKind, "baseline">, InitStats>;
  const ratio = init.ours.medianMs / init["cdk-defaults"].medianMs;
  const cpuRatio = init.ours.cpuMedianMs / init["cdk-defaults"].cpuMedianMs;
  const comparable =
    JSON.stringify(Object.keys(init.ours.outcomes)) ===
    JSON.stringify(Object.keys(init["cdk-defaults"].outcomes));
  report.push({
    handler: handlerName(handler.entry),
    entry: handler.entry,
    foundIn: handler.foundIn,
    measures: fixture.measures,
    bundles: {
      ours: {
        bytes: built.ours.bytes,
        gzipBytes: built.ours.gzipBytes,
        sourceMapBytes: built.ours.sourceMapBytes,
      },
      "cdk-defaults": {
        bytes: built["cdk-defaults"].bytes,
        gzipBytes: built["cdk-defaults"].gzipBytes,
        externals: built["cdk-defaults"].externals,
      },
    },
    init: {
      baselineMedianMs: median(baseline.map((run) => run.doneMs)),
      ...init,
      ratioOursToDefaults: ratio,
      cpuRatioOursToDefaults: cpuRatio,
      sameOutcomeBothVariants: comparable,
    },
    targets: {
      minifiedUnder350KB: built.ours.bytes < MAX_MINIFIED_BYTES,
      initAtMost07xDefaults: ratio <= MAX_INIT_RATIO,
    },
  });
}

const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
const lines = [
  `Cold init on Node ${process.versions.node}, ${runs} fresh processes per variant, interleaved; ms from process start to the handler's return, minus a bare \`node\` start (median / p90). CPU = user + system time over the same span.`,
  "",
  "| handler | minified KB | gzip KB | init ms ours | init ms defaults | ratio | CPU ms ours | CPU ms defaults | CPU ratio | ours + runtime source maps (ms / CPU ms) | < 350 KB | init ≤ 0.7× |",
  "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|",
  ...report.map(
    (row) =>
      `| ${row.handler} | ${kb(row.bundles.ours.bytes)} | ${kb(row.bundles.ours.gzipBytes)} | ` +
      `${ms(row.init.ours.medianMs)} / ${ms(row.init.ours.p90Ms)} | ` +
      `${ms(row.init["cdk-defaults"].medianMs)} / ${ms(row.init["cdk-defaults"].p90Ms)} | ` +
      `${row.init.ratioOursToDefaults.toFixed(2)} | ` +
      `${ms(row.init.ours.cpuMedianMs)} | ${ms(row.init["cdk-defaults"].cpuMedianMs)} | ` +
      `${row.init.cpuRatioOursToDefaults.toFixed(2)} | ` +
      `${ms(row.init["ours-runtime-source-maps"].medianMs)} / ${ms(row.init["ours-runtime-source-maps"].cpuMedianMs)} | ` +
      `${pass(row.targets.minifiedUnder350KB)} | ${pass(row.targets.initAtMost07xDefaults)} |`,
  ),
  "",
  "What each run covered (outcome: count, ours → defaults):",
  ...report.map(
    (row) =>
      `- ${row.handler}: ${row.measures}. ${JSON.stringify(row.init.ours.outcomes)} → ${JSON.stringify(row.init["cdk-defaults"].outcomes)}` +
      (row.init.sameOutcomeBothVariants ? "" : "  ⚠ variants ended differently: not comparable"),
  ),
  "",
  `Every bundle under 350 KB minified: ${pass(report.every((row) => row.targets.minifiedUnder350KB))}`,
  `Init (wall-time median) at most 0.7× the defaults': ${pass(report.every((row) => row.targets.initAtMost07xDefaults))}`,
  `Init (CPU median) at most 0.7× the defaults': ${pass(report.every((row) => row.init.cpuRatioOursToDefaults <= MAX_INIT_RATIO))}`,
];
process.stdout.write(`${lines.join("\n")}\n`);

const resultsFile = path.join(PROJECT_ROOT, "bench", "results-bundles.json");
writeFileSync(
  resultsFile,
  `${JSON.stringify(
    {
      generatedAt: new Date().toISOString(),
      node: process.versions.node,
      cpus: cpus().length,
      loadAverageAtEnd: loadavg().map((load) => Number(load.toFixed(2))),
      runsPerVariant: runs,
      method:
        "Each run is a fresh node process (bench/init-probe.mjs) that loads the bundle from its file (import() for ESM, require() for CommonJS) and calls its handler once; time is performance.now() at the handler's return (from process start), minus the same round's bare probe run. AWS endpoints (AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS=1) and the portal are https:// (as in production) on a closed local port. 'ours' runs with the function's NODE_OPTIONS as synthesized; 'ours-runtime-source-maps' adds --enable-source-maps; 'cdk-defaults' resolves the external SDK through NODE_PATH as the Lambda runtime does. CPU = process.cpuUsage() (user + system, all threads) at the same moment, minus the baseline's.",
      targets: { maxMinifiedBytes: MAX_MINIFIED_BYTES, maxInitRatio: MAX_INIT_RATIO },
      handlers: report,
    },
    null,
    2,
  )}\n`,
);
log(`Wrote ${path.relative(PROJECT_ROOT, resultsFile)}`);
