// Delivers outbox items from the table's stream to the bus: PutEvents in stream order, ten entries a call, and
// the sequence number of the first record not delivered handed back (ReportBatchItemFailures), so Lambda retries
// from it and nothing before it is sent again. Entries after a failure in the same call may go out twice — with
// the same detail.eventId, which consumers deduplicate on (docs/events.md). The entry is opaque here: what an
// event says is the writer's business, so event schema changes never touch delivery.
import type { PutEventsRequestEntry, PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import {
  OUTBOX_ENTRY_ATTRIBUTE,
  OUTBOX_PK_PREFIX,
  type OutboxEntry,
} from "../../contracts/domain-event-outbox.js";
import { PK } from "../../contracts/table-schema.js";

/** PutEvents accepts at most ten entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

export interface OutboxDeliveryDeps {
  readonly eventBusName: string;
  /** One PutEvents call; resolves with its per-entry results (same order as `entries`). */
  putEvents(entries: PutEventsRequestEntry[]): Promise<{ Entries?: PutEventsResultEntry[] }>;
  /** Told about each undelivered record (never the entry's detail). */
  onFailure?(failure: { sequenceNumber: string; reason: string }): void;
}

export interface OutboxDeliveryResult {
  readonly delivered: number;
  /** Lambda's partial batch response: retry from the first of these. */
  readonly batchItemFailures: { itemIdentifier: string }[];
}

/** The outbox entry a stream record carries, or undefined when the record is not a new or rewritten outbox item. */
export function outboxEntryOf(record: DynamoDBRecord): OutboxEntry | undefined {
  if (record.eventName !== "INSERT" && record.eventName !== "MODIFY") return undefined;
  const pk = record.dynamodb?.Keys?.[PK]?.S;
  if (!pk?.startsWith(OUTBOX_PK_PREFIX)) return undefined;
  const text = record.dynamodb?.NewImage?.[OUTBOX_ENTRY_ATTRIBUTE]?.S;
  if (text === undefined) throw new Error(`outbox item ${pk} has no ${OUTBOX_ENTRY_ATTRIBUTE}`);
  const entry = JSON.parse(text) as Partial<OutboxEntry>;
  for (const field of ["Source", "DetailType", "Detail", "Time"] as const) {
    if (typeof entry[field] !== "string") throw new Error(`outbox item ${pk}: ${field} is not a string`);
  }
  return entry as OutboxEntry;
}

export async function deliverOutboxRecords(
  records: readonly DynamoDBRecord[],
  deps: OutboxDeliveryDeps,
): Promise<OutboxDeliveryResult> {
  const pending: { sequenceNumber: string; entry: PutEventsRequestEntry }[] = [];
  let delivered = 0;
  const failAt = (sequenceNumber: string, reason: string): OutboxDeliveryResult => {
    deps.onFailure?.({ sequenceNumber, reason });
    return { delivered, batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
  };
  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? "";
    let entry: OutboxEntry | undefined;
    try {
      entry = outboxEntryOf(record);
    } catch (error) {
      // Everything before it goes out first; this one is retried, then bisected off to the DLQ.
      const result = await flush();
      if (result) return result;
      return failAt(sequenceNumber, (error as Error).message);
    }
    if (!entry) continue;
    pending.push({
      sequenceNumber,
      entry: {
        EventBusName: deps.eventBusName,
        Source: entry.Source,
        DetailType: entry.DetailType,
        Detail: entry.Detail,
        Time: new Date(entry.Time),
      },
    });
    if (pending.length === PUT_EVENTS_MAX_ENTRIES) {
      const result = await flush();
      if (result) return result;
    }
  }
  return (await flush()) ?? { delivered, batchItemFailures: [] };

  /** Sends what is pending; a result when something was not delivered. */
  async function flush(): Promise<OutboxDeliveryResult | undefined> {
    if (pending.length === 0) return undefined;
    const batch = pending.splice(0);
    let results: PutEventsResultEntry[];
    try {
      results = (await deps.putEvents(batch.map((item) => item.entry))).Entries ?? [];
    } catch (error) {
      const { name, message } = error as Error;
      return failAt(batch[0]!.sequenceNumber, `PutEvents failed: ${name}: ${message}`);
    }
    for (const [index, item] of batch.entries()) {
      const result = results[index];
      if (!result || result.ErrorCode || !result.EventId) {
        return failAt(
          item.sequenceNumber,
          `PutEvents refused the entry: ${result?.ErrorCode ?? "no result"}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ""}`,
        );
      }
      delivered += 1;
    }
    return undefined;
  }
}
