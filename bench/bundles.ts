// `npm run bench:bundles [-- --runs N] [-- --only <name>]`: size and cold init of every Lambda bundle, ours
// against NodejsFunction's defaults (issue 8, DESIGN.md §8). Prints a markdown table and PASS/FAIL per target,
// and writes bench/results-bundles.json.
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { HANDLER_NODE_OPTIONS, PROJECT_ROOT } from "../lib/handler-function.js";
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

/** The runs measured per handler: the deployed bundle with and without source maps, and the CDK defaults. */
const RUN_KINDS = ["baseline", "ours", "ours-no-source-maps", "cdk-defaults"] as const;
type RunKind = (typeof RUN_KINDS)[number];

interface InitStats {
  readonly medianMs: number;
  readonly p90Ms: number;
  /** Median time from process start to the module having loaded, minus the baseline (no handler call). */
  readonly importMedianMs: number;
  /** How the runs ended, with counts. */
  readonly outcomes: Record<string, number>;
}

const { values: args } = parseArgs({
  options: { runs: { type: "string", default: "20" }, only: { type: "string", multiple: true } },
});
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${args.runs}`);
const nodeMajor = Number(process.versions.node.split(".")[0]);
if (nodeMajor !== 22) {
  throw new Error(
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
  return { medianMs: median(net), p90Ms: percentile(net, 90), importMedianMs: median(imported), outcomes };
}

const entries = (await discoverHandlerEntries()).filter(
  ({ entry }) => !args.only || args.only.includes(handlerName(entry)),
);
log(`Handlers: ${entries.map(({ entry, foundIn }) => `${entry} [${foundIn.join(", ")}]`).join("; ")}`);
const bundles = await Promise.all(
  entries.map(async ({ entry }) => ({
    ours: await buildBundle(entry, "ours"),
    "cdk-defaults": await buildBundle(entry, "cdk-defaults"),
  })),
);

const port = await closedLocalPort();
const closedEndpoint = `http://127.0.0.1:${port}`;
const report = [];
for (const [index, handler] of entries.entries()) {
  const built = bundles[index]!;
  const fixture = fixtureFor(handler.entry, closedEndpoint);
  const { NODE_OPTIONS: _deployedNodeOptions, ...templateEnvironment } = handler.environment;
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
    bundleTarget("ours", built.ours, HANDLER_NODE_OPTIONS),
    bundleTarget("ours-no-source-maps", built.ours),
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
  `Cold init on Node ${process.versions.node}, ${runs} fresh processes per variant, interleaved; ms after a bare \`node\` start (median / p90).`,
  "",
  "| handler | minified KB | gzip KB | init ms ours | init ms defaults | ratio | ours w/o source maps | size < 350 KB | init ≤ 0.7× |",
  "|---|--:|--:|--:|--:|--:|--:|:-:|:-:|",
  ...report.map(
    (row) =>
      `| ${row.handler} | ${kb(row.bundles.ours.bytes)} | ${kb(row.bundles.ours.gzipBytes)} | ` +
      `${ms(row.init.ours.medianMs)} / ${ms(row.init.ours.p90Ms)} | ` +
      `${ms(row.init["cdk-defaults"].medianMs)} / ${ms(row.init["cdk-defaults"].p90Ms)} | ` +
      `${row.init.ratioOursToDefaults.toFixed(2)} | ` +
      `${ms(row.init["ours-no-source-maps"].medianMs)} / ${ms(row.init["ours-no-source-maps"].p90Ms)} | ` +
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
  `Init at most 0.7× the defaults': ${pass(report.every((row) => row.targets.initAtMost07xDefaults))}`,
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
        "Each run is a fresh node process (bench/init-probe.mjs) that loads the bundle from its file (import() for ESM, require() for CommonJS) and calls its handler once; time is performance.now() at the handler's return (from process start), minus the same round's bare probe run. AWS endpoints and the portal point at a closed local port with AWS_MAX_ATTEMPTS=1. 'ours' runs with NODE_OPTIONS=--enable-source-maps as deployed; 'cdk-defaults' resolves the external SDK through NODE_PATH as the Lambda runtime does.",
      targets: { maxMinifiedBytes: MAX_MINIFIED_BYTES, maxInitRatio: MAX_INIT_RATIO },
      handlers: report,
    },
    null,
    2,
  )}\n`,
);
log(`Wrote ${path.relative(PROJECT_ROOT, resultsFile)}`);
