// The one account-wide portal budget, shared by every Lambda and execution through a DynamoDB item.
//
// GCRA / virtual scheduling without burst: the item holds `nextAt`, the earliest epoch-ms time the next request
// may be sent. A caller reserves the slot `max(now + lead, nextAt)` with one conditional UpdateItem that moves
// `nextAt` one interval further, then sleeps until its slot. Reservations are strictly ordered by DynamoDB, so two
// requests are never granted within one interval, however many callers race. The lead (a slot is never sooner
// than `lead` after asking) lets the UpdateItem's answer arrive before the slot it grants: it is the round trip
// this limiter has measured, not a fixed figure, so an idle budget's caller sends as soon as it is answered.
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys, TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import { PortalThrottled } from "../platform/errors.js";
import type { AcquireRequest, PortalRateLimiter } from "./portal-types.js";

/**
 * Spacing on top of `1000 / maxRps`, as a fraction of it: the portal (and the simulator) count arrivals in any
 * sliding second (docs/architecture.md §3), and only calls `maxRps` slots apart can meet in one, so 8% of every
 * interval leaves each second 80 ms of room for arrival jitter at any rate — where a fixed 80 ms per call spent
 * 1,620 ms of every second's 1,000 at 20 req/s. A quarter of the room is for a caller reaching its slot late
 * (beyond that it re-reserves), the rest for the request's way to the portal after acquire() returns: measured on
 * a loaded 2-core machine, 4% (40 ms, half each) let 1–2 requests in a few hundred arrive over the limit, 8% none.
 */
export const RATE_SAFETY_PERCENT = 8;

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
  /**
   * How far ahead of the request a slot starts before this limiter has measured a reservation's round trip
   * (a cold container's first); from then on the lead is the measured round trip. @default 100
   */
  readonly leadMs?: number;
  /** Name of the budget (one item per budget). @default "portal" */
  readonly name?: string;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Minimum spacing between two granted requests, in ms, for `maxRps`: `1000 / maxRps` plus 8%, rounded up. */
export function rateLimitIntervalMs(maxRps: number): number {
  return Math.ceil((10 * (100 + RATE_SAFETY_PERCENT)) / maxRps);
}

/**
 * Room for arrival jitter in any sliding second: the calls that can meet in one second (`maxRps`, at least one)
 * times each interval's margin. 80 ms at every rate of 1 req/s or more.
 */
export function jitterRoomMs(maxRps: number): number {
  return Math.max(1, Math.floor(maxRps)) * (rateLimitIntervalMs(maxRps) - 1000 / maxRps);
}

/** Bounds of the measured lead: a slot is never granted for the very ms of asking, nor a second ahead. */
const MIN_LEAD_MS = 1;
const MAX_LEAD_MS = 1000;

/** Late arrivals in a row before acquire() hands the call back to Step Functions' retry. */
const MAX_LATE_ROUNDS = 5;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class DynamoDbRateLimiter implements PortalRateLimiter {
  readonly intervalMs: number;
  /** How late past its slot a caller may still send: a quarter of the jitter room (the rest is for the wire). */
  readonly lateToleranceMs: number;
  private readonly maxWaitMs: number;
  private readonly roundTrip: RoundTripEstimate;
  /** The budget's `nextAt` as this limiter last saw it: when still ahead, the next reservation queues first. */
  private lastSeenNextAt: number | undefined;
  private readonly key: Record<string, string>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: DynamoDbRateLimiterOptions) {
    if (!(options.maxRps > 0)) throw new RangeError(`maxRps must be positive, got ${options.maxRps}`);
    this.intervalMs = rateLimitIntervalMs(options.maxRps);
    this.lateToleranceMs = Math.floor(jitterRoomMs(options.maxRps) / 4);
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.roundTrip = new RoundTripEstimate(options.leadMs ?? 100);
    this.key = keys.portalRateLimiter(options.name);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepFor;
  }

  /** How far ahead of asking a slot is reserved now: the measured round trip (docs/architecture.md §3). */
  get leadMs(): number {
    return this.roundTrip.leadMs();
  }

  /**
   * Resolves at this caller's slot; throws PortalThrottled (having reserved nothing) when it is too far away.
   * A caller that reaches its slot late (slow DynamoDB answer, busy event loop) by more than `lateToleranceMs`
   * would crowd the second of the caller `maxRps` slots later: it gives the slot up (wasted, never shared) and
   * reserves again.
   */
  async acquire(request?: AcquireRequest): Promise<void> {
    for (let round = 0; round < MAX_LATE_ROUNDS; round++) {
      const slot = await this.reserve(request);
      const wait = slot - this.now();
      if (wait > 0) await this.sleep(wait);
      if (this.now() - slot <= this.lateToleranceMs) return;
    }
    throw new PortalThrottled(
      `local portal budget: reached its slot more than ${this.lateToleranceMs} ms late ${MAX_LATE_ROUNDS} times`,
    );
  }

  /**
   * Reserves and returns the next free slot (epoch ms). A request that may reach the portal late keeps the next
   * caller off by that lateness beyond the jitter room the spacing already leaves.
   */
  async reserve(request?: AcquireRequest): Promise<number> {
    const lateBy = Math.max(0, request?.lateByUpToMs ?? 0);
    const width = this.intervalMs + Math.ceil(Math.max(0, lateBy - this.lateToleranceMs));
    // Each round trip either reserves or learns the current nextAt; a few rounds settle any race. A budget last
    // seen busy is queued on first, which saves the idle attempt's failed conditional write.
    for (let round = 0; round < 20; round++) {
      const seenBusy = this.lastSeenNextAt !== undefined && this.lastSeenNextAt > this.now() + this.leadMs;
      if (!seenBusy) {
        const idle = await this.reserveIdle(width);
        if (idle !== undefined) return idle;
      }
      const queued = await this.reserveQueued(width);
      if (queued.slot !== undefined) return queued.slot;
      const now = this.now();
      if (queued.nextAt !== undefined && queued.nextAt - now > this.maxWaitMs) {
        throw new PortalThrottled(
          `local portal budget: the next free slot is ${Math.round(queued.nextAt - now)} ms away ` +
            `(over the ${this.maxWaitMs} ms this call may wait at ${this.options.maxRps} req/s)`,
          Math.ceil((queued.nextAt - now) / 1000),
        );
      }
      // nextAt is before now + lead (or the item is gone): the budget is idle again, go round.
    }
    throw new PortalThrottled("local portal budget: could not reserve a slot under contention");
  }

  /** One UpdateItem, its round trip measured: the lead follows what reservations really take. */
  private async timed<T>(send: () => Promise<T>): Promise<T> {
    const sentAt = this.now();
    try {
      return await send();
    } finally {
      this.roundTrip.add(this.now() - sentAt);
    }
  }

  /** Budget idle (no item, or nextAt before now + lead): the slot is now + lead. */
  private async reserveIdle(width: number): Promise<number | undefined> {
    const now = this.now();
    const slot = now + this.leadMs;
    try {
      await this.timed(() =>
        this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: this.key,
            UpdateExpression: "SET nextAt = :next, #ttl = :ttl",
            ConditionExpression: "attribute_not_exists(nextAt) OR nextAt < :slot",
            ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ":slot": slot,
              ":next": slot + width,
              ":ttl": this.expiry(now),
            },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      this.lastSeenNextAt = slot + width;
      return slot;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        this.lastSeenNextAt = nextAtOf(error);
        return undefined;
      }
      throw error;
    }
  }

  /** Budget busy: take the slot at nextAt if it is within reach; otherwise report nextAt and reserve nothing. */
  private async reserveQueued(width: number): Promise<{ slot?: number; nextAt?: number }> {
    const now = this.now();
    try {
      const result = await this.timed(() =>
        this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: this.key,
            UpdateExpression: "SET nextAt = nextAt + :interval, #ttl = :ttl",
            ConditionExpression: "nextAt >= :earliest AND nextAt <= :latest",
            ExpressionAttributeNames: { "#ttl": TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ":earliest": now + this.leadMs,
              ":latest": now + this.maxWaitMs,
              ":interval": width,
              ":ttl": this.expiry(now),
            },
            ReturnValues: "UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
      this.lastSeenNextAt = Number(result.Attributes?.nextAt);
      return { slot: this.lastSeenNextAt - width };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        this.lastSeenNextAt = nextAtOf(error);
        return { nextAt: this.lastSeenNextAt };
      }
      throw error;
    }
  }

  /** The item is bookkeeping only: let DynamoDB drop it a day after the budget was last used. */
  private expiry(now: number): number {
    return Math.floor(now / 1000) + 86_400;
  }
}

/** The budget's nextAt from a failed condition's ALL_OLD image, or undefined when there is no item. */
function nextAtOf(error: ConditionalCheckFailedException): number | undefined {
  const nextAt = error.Item?.nextAt as { N?: string } | undefined;
  return nextAt?.N === undefined ? undefined : Number(nextAt.N);
}

/**
 * Smoothed round trip of the budget's UpdateItems (RFC 6298's estimator: srtt and its mean deviation). The lead
 * is srtt + 2 deviations: most answers arrive before their slot, and one that does not is late by little more
 * than the caller may be (`lateToleranceMs`).
 */
class RoundTripEstimate {
  private smoothed: number | undefined;
  private deviation = 0;

  constructor(private readonly unmeasuredLeadMs: number) {}

  add(ms: number): void {
    if (!(ms >= 0)) return;
    if (this.smoothed === undefined) {
      this.smoothed = ms;
      this.deviation = ms / 2;
      return;
    }
    this.deviation += (Math.abs(this.smoothed - ms) - this.deviation) / 4;
    this.smoothed += (ms - this.smoothed) / 8;
  }

  leadMs(): number {
    if (this.smoothed === undefined) return this.unmeasuredLeadMs;
    return Math.min(MAX_LEAD_MS, Math.max(MIN_LEAD_MS, Math.ceil(this.smoothed + 2 * this.deviation)));
  }
}
