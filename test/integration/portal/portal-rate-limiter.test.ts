import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../../contracts/table-schema.js";
import { PortalThrottled } from "../../../functions/platform/errors.js";
import { DynamoDbRateLimiter, rateLimitIntervalMs } from "../../../functions/portal/portal-rate-limiter.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";

let table: TestDocumentTable;

beforeAll(async () => {
  table = await createTestDocumentTable();
});

function limiter(name: string, maxRps: number, maxWaitMs?: number) {
  return new DynamoDbRateLimiter({
    client: table.client,
    tableName: table.tableName,
    maxRps,
    maxWaitMs,
    name,
  });
}

function gaps(times: number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((t, i) => t - sorted[i]!);
}

describe("rateLimitIntervalMs", () => {
  it("spaces requests a fixed fraction (8%) wider than the rate asks, so the margin scales with the interval", () => {
    expect(rateLimitIntervalMs(1)).toBe(1080);
    expect(rateLimitIntervalMs(5)).toBe(216);
    expect(rateLimitIntervalMs(20)).toBe(54);
  });

  it("leaves every sliding second the same absolute room for jitter, whatever the rate", () => {
    // The portal counts requests in any 1-second window: only calls maxRps apart can meet in one, so the room is
    // maxRps intervals minus the second (docs/architecture.md §3).
    for (const rps of [1, 2, 5, 10, 20]) expect(rps * rateLimitIntervalMs(rps) - 1000).toBe(80);
  });
});

describe("DynamoDbRateLimiter", () => {
  it("grants 12 concurrent callers from 4 Lambdas slots at least one interval apart", async () => {
    // Four limiter instances stand for four Lambda containers sharing the one budget item.
    const instances = Array.from({ length: 4 }, () => limiter("concurrent-slots", 20));
    const slots = await Promise.all(Array.from({ length: 12 }, (_, i) => instances[i % 4]!.reserve()));
    expect(new Set(slots).size).toBe(12);
    for (const gap of gaps(slots)) expect(gap).toBeGreaterThanOrEqual(instances[0]!.intervalMs);
  });

  it("lets concurrent acquire() callers through never more than maxRps in any sliding second", async () => {
    // The portal counts requests in any 1-second window (docs/architecture.md §3): that is the invariant, not
    // the gap between two neighbours, which may close up by the time a caller is allowed to be late.
    const instances = Array.from({ length: 3 }, () => limiter("concurrent-acquire", 5));
    const acquiredAt = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await instances[i % 3]!.acquire();
        return Date.now();
      }),
    );
    const sorted = [...acquiredAt].sort((a, b) => a - b);
    // Any 6 calls (5 req/s + 1) span a second at least, less the 1 ms rounding of Date.now().
    for (let i = 5; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 5]!).toBeGreaterThanOrEqual(999);
    for (const gap of gaps(acquiredAt))
      expect(gap).toBeGreaterThanOrEqual(200 - instances[0]!.lateToleranceMs);
  });

  it("gives up a slot it reached too late and sends on a later one", async () => {
    let clock = 1_000_000;
    const slept: number[] = [];
    const budget = new DynamoDbRateLimiter({
      client: table.client,
      tableName: table.tableName,
      maxRps: 1,
      name: "late",
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        // The first wake-up comes 100 ms late (busy event loop); the second on time.
        clock += slept.length === 1 ? ms + 100 : ms;
      },
    });
    // Someone else holds the idle slot (+100 ms: no round trip measured yet); ours is queued 1080 ms after it.
    await budget.reserve();
    await budget.acquire();
    // Woken 100 ms late (over the 20 ms it may be late), the caller gives its slot up and takes the next one.
    expect(budget.lateToleranceMs).toBe(20);
    expect(slept).toEqual([1180, 980]);
    expect(clock).toBe(1_000_000 + 100 + 2160);
  });

  it("keeps the next caller off a request that may arrive late by its lateness beyond the jitter room", async () => {
    const budget = limiter("late-arrival", 20);
    const late = await budget.reserve({ lateByUpToMs: 200 });
    const next = await budget.reserve();
    // 200 ms late, 20 of it within the caller's own tolerance: the next slot is 180 ms further off.
    expect(next - late).toBe(budget.intervalMs + 200 - budget.lateToleranceMs);
  });

  it("throws PortalThrottled and reserves nothing when the next slot is further than the caller may wait", async () => {
    const budget = limiter("too-far", 1, 1500);
    await budget.reserve();
    await budget.reserve();
    const key = keys.portalRateLimiter("too-far");
    const before = await table.client.send(new GetCommand({ TableName: table.tableName, Key: key }));
    const error = await budget.reserve().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortalThrottled);
    expect((error as Error).message).toMatch(
      /^local portal budget: the next free slot is \d+ ms away \(over the 1500 ms this call may wait at 1 req\/s\)$/,
    );
    const after = await table.client.send(new GetCommand({ TableName: table.tableName, Key: key }));
    expect(after.Item?.nextAt).toBe(before.Item?.nextAt);
  });

  it("grants the first caller of an idle budget, before any round trip is measured, the slot 100 ms ahead", async () => {
    const budget = new DynamoDbRateLimiter({
      client: table.client,
      tableName: table.tableName,
      maxRps: 1,
      name: "idle",
      now: () => 1_000_000,
      sleep: async () => {},
    });
    expect(await budget.reserve()).toBe(1_000_100);
    const { Item } = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: keys.portalRateLimiter("idle") }),
    );
    expect(Item?.nextAt).toBe(1_000_100 + 1080);
  });

  it("reserves an idle budget's slot only as far ahead as its measured round trip, not a fixed 100 ms", async () => {
    // Every reservation takes 5 ms on a clock the test moves: the lead settles just above it.
    let clock = 2_000_000;
    const budget = new DynamoDbRateLimiter({
      client: {
        send: async (command: never) => {
          clock += 5;
          return table.client.send(command);
        },
      } as never,
      tableName: table.tableName,
      maxRps: 1000,
      name: "horizon",
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    for (let i = 0; i < 5; i++) await budget.reserve(); // round trips measured
    clock += 1000; // the budget is idle again
    const askedAt = clock;
    const slot = await budget.reserve();
    expect(slot - askedAt).toBeGreaterThanOrEqual(5);
    expect(slot - askedAt).toBeLessThanOrEqual(10);
  });

  it("lets the caller of an idle budget send as soon as its reservation is answered", async () => {
    const budget = limiter("idle-acquire", 20);
    for (let i = 0; i < 5; i++) await budget.acquire(); // round trips measured
    await new Promise((resolve) => setTimeout(resolve, 100));
    const askedAt = performance.now();
    await budget.acquire();
    expect(performance.now() - askedAt).toBeLessThan(50);
  });
});
