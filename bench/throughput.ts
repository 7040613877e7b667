// Section 3: many concurrent onboardings under the portal's rate limit, against the limit's floor
// (every portal call at exactly the limit: calls / rate seconds), after one uncounted warm-up onboarding.
import { rateLimitIntervalMs } from "../functions/portal/portal-rate-limiter.js";
import type { PortalSimulator } from "../local/portal-simulator.js";
import type { BenchStack } from "./bench-stack.js";
import { executionMetrics } from "./execution-metrics.js";
import { round } from "./statistics.js";

export interface ThroughputOptions {
  readonly onboardings: number;
  /** PORTAL_MAX_RPS the stack runs with (the simulator enforces the same limit). */
  readonly portalMaxRps: number;
  readonly progress?: (line: string) => void;
}

export interface ThroughputResult {
  readonly onboardings: number;
  readonly succeeded: number;
  readonly portalMaxRps: number;
  readonly portalCalls: number;
  readonly wallSeconds: number;
  /** portalCalls / portalMaxRps. */
  readonly floorSeconds: number;
  readonly ratioToFloor: number;
  /** 429s the simulator's own limit answered (our limiter should make this 0). */
  readonly portal429s: number;
  /** Lambda invocations that failed and were retried by Step Functions (e.g. PortalThrottled from the limiter). */
  readonly retriedInvocations: number;
  /** Spacing our limiter keeps between two portal calls at this rate (1000/R × 1.08, rounded up). */
  readonly limiterIntervalMs: number;
  /** What that spacing alone makes the run take: portalCalls × interval. */
  readonly limiterFloorSeconds: number;
  /** Most requests the simulator saw in any sliding second. */
  readonly maxRequestsInAnySecond: number;
}

/** Reads the simulator through its control routes, so it may run in a process of its own (simulatorProcess). */
export async function measureThroughput(
  bench: BenchStack<PortalSimulator | undefined>,
  options: ThroughputOptions,
): Promise<ThroughputResult> {
  const simulator = bench.simulatorControl;
  // One uncounted onboarding first, as sections 1 and 2 warm up: module loading and the first secret fetches
  // are a cold process's, not the rate limit's. Then the budget is left idle again.
  const warmUp = await bench.onboard("bench-tp-warm-up");
  if (warmUp.status !== "SUCCEEDED") throw new Error(`throughput warm-up onboarding ended ${warmUp.status}`);
  await new Promise((resolve) => setTimeout(resolve, rateLimitIntervalMs(options.portalMaxRps) + 1000));
  const statsBefore = await simulator.stats();
  const startedAt = performance.now();
  let done = 0;
  const runs = await Promise.all(
    Array.from({ length: options.onboardings }, async (_, index) => {
      const run = await bench.onboard(`bench-tp-${String(index).padStart(5, "0")}`);
      done += 1;
      if (done % 50 === 0) options.progress?.(`  throughput: ${done}/${options.onboardings} onboarded`);
      return run;
    }),
  );
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const statsAfter = await simulator.stats();
  const portalCalls = statsAfter.requests - statsBefore.requests;
  const floorSeconds = portalCalls / options.portalMaxRps;
  const intervalMs = rateLimitIntervalMs(options.portalMaxRps);
  return {
    onboardings: options.onboardings,
    succeeded: runs.filter((run) => run.status === "SUCCEEDED").length,
    portalMaxRps: options.portalMaxRps,
    portalCalls,
    wallSeconds: round(wallSeconds),
    floorSeconds: round(floorSeconds),
    ratioToFloor: round(wallSeconds / floorSeconds),
    portal429s: (statsAfter.byStatus["429"] ?? 0) - (statsBefore.byStatus["429"] ?? 0),
    retriedInvocations: runs.reduce((sum, run) => sum + executionMetrics(run.events).failedInvocations, 0),
    limiterIntervalMs: intervalMs,
    limiterFloorSeconds: round((portalCalls * intervalMs) / 1000),
    maxRequestsInAnySecond: statsAfter.maxInAnyWindow,
  };
}
