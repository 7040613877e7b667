// The activation page's per-source limit, shared by every Lambda instance: one counter item per source and fixed
// window, incremented only while under the limit (a conditional update), deleted by TTL after its window.
// API Gateway's stage throttling bounds the whole API; this bounds one source (activation/source-rate-limiter.ts).
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys, TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import {
  ACTIVATION_RATE_LIMIT,
  type RateDecision,
  type SourceRateLimiter,
} from "../activation/source-rate-limiter.js";
import type { PracticeTable } from "./practice-table.js";

/** Window items stay this long past their window (TTL deletion is lazy; a stale window is never read again). */
const WINDOW_ITEM_GRACE_SECONDS = 3600;

export class DynamoSourceRateLimiter implements SourceRateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(
    private readonly table: PracticeTable,
    options: { limit: number; windowMs: number } = ACTIVATION_RATE_LIMIT,
  ) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
  }

  async take(source: string, now: Date): Promise<RateDecision> {
    const at = now.getTime();
    const windowStart = at - (at % this.#windowMs);
    const windowEnd = windowStart + this.#windowMs;
    try {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.activationRateWindow(source, windowStart),
          UpdateExpression: "ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
          ConditionExpression: "attribute_not_exists(#count) OR #count < :limit",
          ExpressionAttributeNames: { "#count": "requests", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ":one": 1,
            ":limit": this.#limit,
            ":ttl": Math.ceil(windowEnd / 1000) + WINDOW_ITEM_GRACE_SECONDS,
          },
        }),
      );
      return { allowed: true };
    } catch (error) {
      if ((error as { name?: string })?.name !== "ConditionalCheckFailedException") throw error;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - at) / 1000)) };
    }
  }
}
