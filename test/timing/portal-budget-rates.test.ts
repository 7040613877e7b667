// The shared portal budget against the portal simulator's exact sliding window, over HTTP, at 20, 5 and 1 req/s:
// many concurrent callers from several Lambda containers (limiter instances) send through the real portal
// client. The simulator runs in its own process, as the portal would, so its arrival times are the judge: not
// one request over the limit, and the budget used to within a few percent of it (docs/architecture.md §3). Each
// container sends once first, so the burst measures warm HTTP clients: a cold client's first request is kept
// apart by its own reservation (portal-client.test.ts, portal-rate-limiter.test.ts).
import { afterEach, describe, expect, it } from "vitest";
import { createPortalClient } from "../../functions/portal/portal-client.js";
import { DynamoDbRateLimiter } from "../../functions/portal/portal-rate-limiter.js";
import { createTestDocumentTable } from "../support/document-client.js";
import {
  SIMULATOR_PROCESS_CREDENTIALS,
  type SimulatorProcess,
  startSimulatorProcess,
} from "../support/simulator-process.js";

let portal: SimulatorProcess | undefined;
afterEach(async () => {
  await portal?.stop();
  portal = undefined;
});

/** Lambda containers sharing the budget item. */
const CONTAINERS = 4;

async function sendConcurrently(rps: number, requests: number) {
  const table = await createTestDocumentTable();
  portal = await startSimulatorProcess(["--rps", String(rps)]);
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
  // 15% over the limit at most (the bound at 20 req/s): the spacing's 4% margin, plus the slots given up
  // by callers woken too late on a loaded machine (1.04–1.05× at load 8, up to 1.5× seen at load 11).
  for (const [rps, requests] of [
    [20, 80],
    [5, 30],
    [1, 8],
  ] as const) {
    it(`${requests} concurrent requests from ${CONTAINERS} containers at ${rps} req/s: 0 over the limit, ≤ 1.15× its spacing`, async () => {
      const run = await sendConcurrently(rps, requests);
      expect(run).toMatchObject({ failed: 0, rateLimited: 0, overTheLimit: false, requests });
      expect(run.spanInLimitIntervals).toBeGreaterThanOrEqual(1);
      expect(run.spanInLimitIntervals).toBeLessThanOrEqual(1.15);
    }, 60_000);
  }
});
