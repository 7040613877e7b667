// The benchmark's sizes: the full run behind the committed results, and the quick one the smoke test runs.

export interface ThroughputRun {
  readonly portalMaxRps: number;
  readonly onboardings: number;
}

export interface BenchmarkConfig {
  readonly name: "full" | "quick";
  /** Section 1: counted happy-path onboarding + offboarding pairs (after one uncounted first pair). */
  readonly happyPathRuns: number;
  /** PORTAL_MAX_RPS for section 1: the deployed default, so the rate limiter's requests are the real ones. */
  readonly happyPathPortalMaxRps: number;
  /** Section 2: onboardings per portal latency (after one uncounted warm-up round). */
  readonly latencyRuns: number;
  readonly portalLatenciesMs: readonly number[];
  /** PORTAL_MAX_RPS for section 2: the highest the stack accepts, so the limiter adds its least. */
  readonly latencyPortalMaxRps: number;
  /**
   * Section 3: concurrent onboardings at each rate both our limiter and the simulator enforce (one process each).
   * 200 at every rate, as the issue asks: at 1 req/s that is 400 s of budget, more than the deployed functions
   * queue (PORTAL_MAX_WAIT_MS = 50 s of slots); the rest come back through Step Functions' rate-limit retry
   * (lib/workflow-task.ts RATE_LIMIT_RETRY), so this run takes ~7 minutes.
   */
  readonly throughput: readonly ThroughputRun[];
  /** Section 4: portal key counts to reconcile; empty skips the section. */
  readonly reconciliationKeys: readonly number[];
  /** PORTAL_MAX_RPS for section 4 (a high rate keeps 100,000 keys feasible; the 1 req/s floor is computed). */
  readonly reconciliationPortalMaxRps: number;
}

export const FULL_CONFIG: BenchmarkConfig = {
  name: "full",
  happyPathRuns: 10,
  happyPathPortalMaxRps: 1,
  latencyRuns: 20,
  portalLatenciesMs: [0, 100],
  latencyPortalMaxRps: 1000,
  throughput: [
    { portalMaxRps: 20, onboardings: 200 },
    { portalMaxRps: 5, onboardings: 200 },
    { portalMaxRps: 1, onboardings: 200 },
  ],
  reconciliationKeys: [1_000, 10_000, 100_000],
  reconciliationPortalMaxRps: 1000,
};

export const QUICK_CONFIG: BenchmarkConfig = {
  name: "quick",
  happyPathRuns: 2,
  happyPathPortalMaxRps: 1,
  latencyRuns: 3,
  portalLatenciesMs: [0, 100],
  latencyPortalMaxRps: 1000,
  throughput: [{ portalMaxRps: 20, onboardings: 20 }],
  reconciliationKeys: [200],
  reconciliationPortalMaxRps: 1000,
};
