// The one account-wide portal budget, shared by every Lambda and execution through a DynamoDB item.
//
// GCRA / virtual scheduling without burst: the item holds `nextAt`, the earliest epoch-ms time the next request
// may be sent. A caller reserves the slot `max(now + lead, nextAt)` with one conditional UpdateItem that moves
// `nextAt` one interval further, then sleeps until its slot. Reservations are strictly ordered by DynamoDB, so two
// requests are never granted within one interval, however many callers race. The lead (a slot is never sooner
// than `leadMs` after asking) lets the UpdateItem's answer arrive before the slot it grants.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys, TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import { PortalThrottled } from "../platform/errors.js";
import type { PortalRateLimiter } from "./portal-types.js";

/**
 * Extra spacing on top of `1000 / maxRps`: the portal (and the simulator) see arrival times, which drift from
 * our slot times by network and event-loop jitter. 2% + 80 ms = a 100 ms margin at 1 req/s: half of it for a
 * caller reaching its slot late (beyond that it re-reserves), half for what happens after acquire() returns
 * (the request's way to the portal). Measured: 35 ms of margin let 1 in 40 requests through early under load.
 */
export const RATE_SAFETY_FACTOR = 1.02;
export const RATE_SAFETY_MS = 80;

export interface DynamoDbRateLimiterOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Requests per second allowed across the whole account. */
  readonly maxRps: number;
  /**
   * Longest a caller waits for its slot. A slot further away is not reserved: acquire() throws PortalThrottled
   * and Step Functions retries the Task later. @default 10000
   */
  readonly maxWaitMs?: number;
  /** How far ahead of the request a slot starts, to cover the UpdateItem round trip. @default 100 */
  readonly leadMs?: number;
  /** Name of the budget (one item per budget). @default "portal" */
  readonly name?: string;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Minimum spacing between two granted requests, in ms, for `maxRps`. */
export function rateLimitIntervalMs(maxRps: number): number {
  return Math.ceil((1000 / maxRps) * RATE_SAFETY_FACTOR + RATE_SAFETY_MS);
}

/** Late arrivals in a row before acquire() hands the call back to Step Functions' retry. */
const MAX_LATE_ROUNDS = 5;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DynamoDbRateLimiter implements PortalRateLimiter {
  readonly intervalMs: number;
  /** How late past its slot a caller may still send: half the safety margin (the other half is for the wire). */
  readonly lateToleranceMs: number;
  private readonly maxWaitMs: number;
  private readonly leadMs: number;
  private readonly key: Record<string, string>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DynamoDbRateLimiterOptions) {
    if (!(options.maxRps > 0)) throw new RangeError(`maxRps must be positive, got ${options.maxRps}`);
    this.intervalMs = rateLimitIntervalMs(options.maxRps);
    this.lateToleranceMs = Math.floor((this.intervalMs - 1000 / options.maxRps) / 2);
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.leadMs = options.leadMs ?? 100;
    this.key = keys.portalRateLimiter(options.name);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepFor;
  }

  /**
   * Resolves at this caller's slot; throws PortalThrottled (having reserved nothing) when it is too far away.
   * A caller that reaches its slot late (slow DynamoDB answer, busy event loop) by more than the safety margin
   * would send too close to the next slot's holder: it gives the slot up (wasted, never shared) and reserves again.
   */
  async acquire(): Promise<void> {
    for (let round = 0; round < MAX_LATE_ROUNDS; round++) {
      const slot = await this.reserve();
      const wait = slot - this.now();
      if (wait > 0) await this.sleep(wait);
      if (this.now() - slot <= this.lateToleranceMs) return;
    }
    throw new PortalThrottled(
      `local portal budget: reached its slot more than ${this.lateToleranceMs} ms late ${MAX_LATE_ROUNDS} times`,
    );
  }

  /** Reserves and returns the next free slot (epoch ms). */
  async reserve(): Promise<number> {
    // Each round trip either reserves or learns the current nextAt; a few rounds settle any race.
    for (let round = 0; round < 20; round++) {
      const now = this.now();
      const idle = await this.reserveIdle(now);
      if (idle !== undefined) return idle;
      const queued = await this.reserveQueued(now);
      if (queued.slot !== undefined) return queued.slot;
      if (queued.nextAt !== undefined && queued.nextAt - now > this.maxWaitMs) {
        throw new PortalThrottled(
          `local portal budget: the next free slot is ${Math.round(queued.nextAt - now)} ms away ` +
            `(over the ${this.maxWaitMs} ms this call may wait at ${this.options.maxRps} req/s)`,
          Math.ceil((queued.nextAt - now) / 1000),
        );
      }
      // nextAt fell before now + lead between the two updates: the budget is idle again, go round.
    }
    throw new PortalThrottled("local portal budget: could not reserve a slot under contention");
  }

  /** Budget idle (no item, or nextAt before now + lead): the slot is now + lead. */
  private async reserveIdle(now: number): Promise<number | undefined> {
    const slot = now + this.leadMs;
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key,
          UpdateExpression: "SET nextAt = :next, #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(nextAt) OR nextAt < :slot",
          ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":slot": slot,
            ":next": slot + this.intervalMs,
            ":ttl": this.expiry(now),
          },
        }),
      );
      return slot;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Budget busy: take the slot at nextAt if it is within reach; otherwise report nextAt and reserve nothing. */
  private async reserveQueued(now: number): Promise<{ slot?: number; nextAt?: number }> {
    try {
      const result = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.key,
          UpdateExpression: "SET nextAt = nextAt + :interval, #ttl = :ttl",
          ConditionExpression: "nextAt >= :earliest AND nextAt <= :latest",
          ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":earliest": now + this.leadMs,
            ":latest": now + this.maxWaitMs,
            ":interval": this.intervalMs,
            ":ttl": this.expiry(now),
          },
          ReturnValues: "UPDATED_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { slot: Number(result.Attributes?.nextAt) - this.intervalMs };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const nextAt = error.Item?.nextAt as { N?: string } | undefined;
        return { nextAt: nextAt?.N === undefined ? undefined : Number(nextAt.N) };
      }
      throw error;
    }
  }

  /** The item is bookkeeping only: let DynamoDB drop it a day after the budget was last used. */
  private expiry(now: number): number {
    return Math.floor(now / 1000) + 86_400;
  }
}
