// The account-wide portal budget under load, in one file so its cases run one after another (two timing files run
// side by side would load each other's CPU). 20 onboardings at once against a portal that refuses anything over
// 1 request/second. The simulator runs in its own process, as the portal would: its arrival times are not skewed
// by this process's busy event loop.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPortalClient } from "../../functions/portal/portal-client.js";
import { DynamoDbRateLimiter } from "../../functions/portal/portal-rate-limiter.js";
import {
  SIMULATOR_PROCESS_CREDENTIALS,
  type SimulatorProcess,
  startSimulatorProcess,
} from "../../local/simulator-process.js";
import { createTestDocumentTable } from "../support/document-client.js";
import { type OnboardingHarness, startOnboardingHarness } from "../support/onboarding-harness.js";

let h: OnboardingHarness;
let portal: SimulatorProcess;

beforeAll(async () => {
  portal = await startSimulatorProcess(["--rps", "1"]);
  h = await startOnboardingHarness({
    maxRps: 1,
    externalPortal: { url: portal.url, credentials: SIMULATOR_PROCESS_CREDENTIALS },
  });
});
afterAll(async () => {
  await h?.close();
  await portal?.stop();
});

describe("Onboarding workflow under the account-wide rate limit", () => {
  it("onboards 20 practices started at once with zero requests over 1 per second", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `rate-${String(i + 1).padStart(2, "0")}`);
    const results = await Promise.all(ids.map((practiceId) => h.run({ practiceId })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill("SUCCEEDED"));
    expect((await h.store.listPractices({ status: "ACTIVE" })).map((p) => p.practiceId)).toEqual(ids);
    expect((await portal.control.keys()).map((k) => k.DevRefId).sort()).toEqual(ids);
    const stats = await portal.control.stats();
    const arrivals = (await portal.control.calls()).map((c) => Date.parse(c.at)).sort((a, b) => a - b);
    const closest = Math.min(...arrivals.slice(1).map((t, i) => t - arrivals[i]!));
    expect({
      rateLimited: stats.rateLimited,
      maxInAnyWindow: stats.maxInAnyWindow,
      requests: stats.requests,
      closestArrivalsAtLeast1s: closest >= 1000 ? true : closest,
    }).toEqual({ rateLimited: 0, maxInAnyWindow: 1, requests: 40, closestArrivalsAtLeast1s: true });
  }, 180_000);
});

// The shared portal budget against the portal simulator's exact sliding window, over HTTP, at 20, 5 and 1 req/s:
// many concurrent callers from several Lambda containers (limiter instances) send through the real portal
// client. The simulator runs in its own process, as the portal would, so its arrival times are the judge: not
// one request over the limit, and the budget used to within a few percent of it (docs/architecture.md §3). Each
// container sends once first, so the burst measures warm HTTP clients: a cold client's first request is kept
// apart by its own reservation (portal-client.test.ts, portal-rate-limiter.test.ts).
let budgetPortal: SimulatorProcess | undefined;

/** Lambda containers sharing the budget item. */
const CONTAINERS = 4;

async function sendConcurrently(rps: number, requests: number) {
  const table = await createTestDocumentTable();
  budgetPortal = await startSimulatorProcess(["--rps", String(rps)]);
  const portal = budgetPortal;
  const url = portal.url;
  const clients = Array.from({ length: CONTAINERS }, () =>
    createPortalClient({
      baseUrl: url,
      credentials: async () => SIMULATOR_PROCESS_CREDENTIALS,
      rateLimiter: new DynamoDbRateLimiter({
        client: table.client,
        tableName: table.tableName,
        maxRps: rps,
        maxWaitMs: 30_000,
      }),
    }),
  );
  for (const client of clients) await client.listKeysPage(0);
  await new Promise((resolve) => setTimeout(resolve, 1200)); // the budget is idle again
  await portal.control.reset();
  const results = await Promise.allSettled(
    Array.from({ length: requests }, (_, i) => clients[i % CONTAINERS]!.listKeysPage(0)),
  );
  const stats = await portal.control.stats();
  const arrivals = (await portal.control.calls()).map((call) => Date.parse(call.at)).sort((a, b) => a - b);
  return {
    failed: results.filter((result) => result.status === "rejected").length,
    rateLimited: stats.rateLimited,
    overTheLimit: stats.maxInAnyWindow > rps,
    requests: stats.requests,
    /** Shortest time between a request and the one `rps` later: under 1000 ms means one second held rps + 1. */
    closestWindowMs: Math.min(...arrivals.slice(rps).map((t, i) => t - arrivals[i]!)),
    /** First to last arrival, in intervals of exactly the limit (1000/rps ms). */
    spanInLimitIntervals: (arrivals.at(-1)! - arrivals[0]!) / (1000 / rps) / (requests - 1),
  };
}

describe("the portal budget used to the last request, never over it", () => {
  afterEach(async () => {
    await budgetPortal?.stop();
    budgetPortal = undefined;
  });

  // 30% over the limit at most: the spacing's 8% margin, plus the slots given up by callers woken too late on a
  // loaded machine (1.24× seen at 20 req/s, load 7); the fixed 80 ms margin this replaced took 2.64×.
  for (const [rps, requests] of [
    [20, 80],
    [5, 30],
    [1, 8],
  ] as const) {
    // One retry: the simulator judges arrival times on a shared 2-core machine, where a process not scheduled for
    // ~100 ms can squeeze two arrivals together (closest sliding window 1,033–1,079 ms in 12 runs beside a CPU
    // burner; once, in a CI run, under 1,000). Each attempt starts a fresh table and simulator. A limiter that
    // really over-sends fails every attempt; the benchmark measures the same at 200 onboardings (bench/results.md).
    it(`${requests} concurrent requests from ${CONTAINERS} containers at ${rps} req/s: 0 over the limit, ≤ 1.3× its spacing`, {
      timeout: 60_000,
      retry: 1,
    }, async () => {
      await budgetPortal?.stop();
      const run = await sendConcurrently(rps, requests);
      expect(run).toMatchObject({ failed: 0, rateLimited: 0, overTheLimit: false, requests });
      expect(run.spanInLimitIntervals).toBeGreaterThanOrEqual(1);
      expect(run.spanInLimitIntervals).toBeLessThanOrEqual(1.3);
    });
  }
});
