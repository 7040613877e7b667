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
  it("spaces requests 2% + 80 ms wider than the rate asks", () => {
    expect(rateLimitIntervalMs(1)).toBe(1100);
    expect(rateLimitIntervalMs(20)).toBe(131);
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

  it("lets concurrent acquire() callers through no two within 1/maxRps of each other", async () => {
    const instances = Array.from({ length: 3 }, () => limiter("concurrent-acquire", 20));
    const acquiredAt = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => {
        await instances[i % 3]!.acquire();
        return Date.now();
      }),
    );
    // 1000 / 20 rps = 50 ms; allow the 1 ms rounding of Date.now(), nothing more.
    for (const gap of gaps(acquiredAt)) expect(gap).toBeGreaterThanOrEqual(49);
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
    await budget.reserve(); // someone else holds the idle slot (+100 ms lead): ours is queued 1100 ms after it
    await budget.acquire();
    expect(slept).toEqual([1200, 1000]);
    expect(clock).toBe(1_000_000 + 100 + 2200);
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

  it("grants the first caller of an idle budget the slot one lead time (100 ms) ahead", async () => {
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
    expect(Item?.nextAt).toBe(1_000_100 + 1100);
  });
});
