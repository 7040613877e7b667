// Section 4: one report-only reconciliation over N portal keys: wall time against the paging floor, this
// process's peak memory, the largest state payload, and what the run costs.
import { rateLimitIntervalMs } from "../functions/portal/portal-rate-limiter.js";
import type { BenchStack } from "./bench-stack.js";
import { type DynamoDbTraffic, DynamoDbTrafficCounter } from "./dynamodb-traffic.js";
import { executionMetrics } from "./execution-metrics.js";
import { type MemoryPeaks, startMemorySampler } from "./memory-sampler.js";
import { round } from "./statistics.js";

export interface ReconciliationScaleOptions {
  readonly keys: number;
  /** Practices onboarded through the real workflow first (their keys count towards `keys`). */
  readonly practices: number;
  readonly portalMaxRps: number;
  readonly progress?: (line: string) => void;
}

export interface ReconciliationScaleResult {
  readonly keys: number;
  readonly practices: number;
  readonly status: string;
  readonly portalMaxRps: number;
  readonly wallSeconds: number;
  /** GET /apikeys requests (100 keys a page, plus the empty page after a full last one). */
  readonly pages: number;
  readonly portalCalls: number;
  /** pages / PORTAL_MAX_RPS. */
  readonly floorSeconds: number;
  /** pages × the limiter's spacing at this rate (1000/R × 1.08, rounded up). */
  readonly limiterFloorSeconds: number;
  readonly ratioToFloor: number;
  readonly ratioToLimiterFloor: number;
  /** The same pages at the default 1 request/second: pages / 1, and with the limiter's 1.08 s spacing. */
  readonly floorAt1RpsSeconds: number;
  readonly limiterFloorAt1RpsSeconds: number;
  readonly memory: MemoryPeaks;
  /** Largest input/output/parameters of any history event. */
  readonly largestStatePayloadBytes: number;
  readonly historyEvents: number;
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  /** Sum of the Task invocations' durations (ms) and what they bill at each Task function's memory. */
  readonly lambdaMs: number;
  readonly lambdaGbSeconds: number;
  readonly lambdaArchitecture: "arm64" | "x86_64";
  readonly dynamoDb: DynamoDbTraffic;
  readonly secretsManagerCalls: number;
  /** Encrypt of each candidate's or planned repair's key, Decrypt of each repaired one (the custody key). */
  readonly kmsCalls: number;
}

export async function measureReconciliation(
  bench: BenchStack,
  options: ReconciliationScaleOptions,
): Promise<ReconciliationScaleResult> {
  const arn = bench.stateMachineArns.reconciliation;
  if (!arn)
    throw new Error("the app has no reconciliation state machine (output ReconciliationStateMachineArn)");
  for (let i = 0; i < options.practices; i++) {
    const run = await bench.onboard(`bench-recon-${i}`);
    if (run.status !== "SUCCEEDED") throw new Error(`setup onboarding ${i} ended ${run.status}`);
  }
  const others = options.keys - options.practices;
  // A mix like a vendor's real portal: unlabeled and foreign-labeled keys, every seventh one disabled.
  bench.simulator.addKeys(
    Array.from({ length: others }, (_, i) => ({
      DateCreated: "2023-04-05",
      DevRefId: i % 2 === 0 ? "" : `Another vendor practice ${i}`,
      KeyStatus: i % 7 === 0 ? "DisabledByDeveloper" : "Enabled",
    })),
  );
  options.progress?.(`  reconciliation: ${options.keys} keys in the portal, running`);

  // Bodies are counted as they pass and then dropped, so the proxies do not weigh on the memory measured.
  for (const proxy of [bench.dynamoDb, bench.aws, bench.portal]) proxy.retain = false;
  const dynamoDb = new DynamoDbTrafficCounter();
  let secretsManagerCalls = 0;
  let kmsCalls = 0;
  const unobserve = [
    bench.dynamoDb.observe((request) => dynamoDb.add(request)),
    bench.aws.observe((request) => {
      if (request.target?.startsWith("secretsmanager.")) secretsManagerCalls += 1;
      else if (request.target?.startsWith("TrentService.")) kmsCalls += 1;
    }),
  ];
  const callsBefore = bench.simulator.calls().length;
  global.gc?.();
  const sampler = startMemorySampler();
  const run = await bench.execute(arn, { repair: false });
  const memory = sampler.stop();
  for (const stop of unobserve) stop();
  const calls = bench.simulator.calls().slice(callsBefore);
  const pages = calls.filter((call) => call.method === "GET").length;
  const metrics = executionMetrics(run.events);
  const wallSeconds = run.totalMs / 1000;
  const floorSeconds = pages / options.portalMaxRps;
  const limiterFloorSeconds = (pages * rateLimitIntervalMs(options.portalMaxRps)) / 1000;
  const architectures = new Set(
    metrics.lambdaInvocations.map((i) => bench.functionForState(arn, i.stateName).architecture),
  );
  const lambdaGbSeconds = metrics.lambdaInvocations.reduce((sum, invocation) => {
    const { memoryMb } = bench.functionForState(arn, invocation.stateName);
    return sum + (Math.ceil(invocation.durationMs) / 1000) * (memoryMb / 1024);
  }, 0);
  return {
    keys: options.keys,
    practices: options.practices,
    status: run.status,
    portalMaxRps: options.portalMaxRps,
    wallSeconds: round(wallSeconds),
    pages,
    portalCalls: calls.length,
    floorSeconds: round(floorSeconds, 3),
    limiterFloorSeconds: round(limiterFloorSeconds),
    ratioToFloor: round(wallSeconds / floorSeconds),
    ratioToLimiterFloor: round(wallSeconds / limiterFloorSeconds),
    floorAt1RpsSeconds: pages,
    limiterFloorAt1RpsSeconds: round((pages * rateLimitIntervalMs(1)) / 1000),
    memory,
    largestStatePayloadBytes: metrics.largestPayloadBytes,
    historyEvents: run.events.length,
    stateTransitions: metrics.stateTransitions,
    lambdaInvocations: metrics.lambdaInvocations.length,
    lambdaMs: Math.round(metrics.lambdaInvocations.reduce((sum, i) => sum + i.durationMs, 0)),
    lambdaGbSeconds: round(lambdaGbSeconds, 4),
    lambdaArchitecture: architectures.has("x86_64") ? "x86_64" : "arm64",
    dynamoDb: dynamoDb.result(),
    secretsManagerCalls,
    kmsCalls,
  };
}
