// The transactional outbox's item layout, shared by the table construct (stream filter), the writers (the store's
// outcome transactions) and the delivery function. Dependency-free: Lambda bundles import it.
import { PK, SK } from "./table-schema.js";

/** Partition key prefix of outbox items; the stream's event source mapping delivers only these. */
export const OUTBOX_PK_PREFIX = "OUTBOX#";
/** Sort key of every outbox item. */
export const OUTBOX_SK = "OUTBOX";

/** The EventBridge entry an outbox item carries, as one JSON string (delivery never looks inside `Detail`). */
export const OUTBOX_ENTRY_ATTRIBUTE = "outboxEntry";

/** How long a delivered (or undeliverable) outbox item stays in the table before TTL removes it. */
export const OUTBOX_RETENTION_DAYS = 7;

/** One outbox item per event id: a repeated write of the same event is the same item. */
export function outboxKey(eventId: string): Record<string, string> {
  return { [PK]: `${OUTBOX_PK_PREFIX}${eventId}`, [SK]: OUTBOX_SK };
}

/** What an outbox item holds: exactly the fields of an EventBridge PutEvents entry, minus the bus name. */
export interface OutboxEntry {
  readonly Source: string;
  readonly DetailType: string;
  /** The event's detail, already serialized. */
  readonly Detail: string;
  /** ISO 8601. */
  readonly Time: string;
}

/** What a writer hands the table's single writer to record beside an outcome: the event's id and its entry. */
export interface OutboxMessage {
  readonly eventId: string;
  readonly entry: OutboxEntry;
}
