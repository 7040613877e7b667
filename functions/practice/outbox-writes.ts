// The outbox item an outcome's own transaction writes (docs/events.md "Delivery"): the event is recorded if and
// only if the outcome is, and the table's stream hands it to the delivery function (lib/domain-event-outbox.ts).
// What the event says is the announcing step's business; here it is an opaque entry keyed by its id.
import {
  OUTBOX_ENTRY_ATTRIBUTE,
  OUTBOX_RETENTION_DAYS,
  type OutboxMessage,
  outboxKey,
} from "../../contracts/domain-event-outbox.js";
import { TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import type { PracticeRecord } from "./practice-record.js";
import type { PracticeTable } from "./practice-table.js";

/** Builds the event an outcome announces from the practice as that outcome leaves it. */
export type Announce = (record: PracticeRecord) => OutboxMessage;

/**
 * A TransactWriteItems `Put` of the message's outbox item, keyed by its eventId: the same event written twice is
 * one item, and TTL removes it once delivery has had its week.
 */
export function outboxPut(table: PracticeTable, message: OutboxMessage, now: Date) {
  return {
    Put: {
      TableName: table.tableName,
      Item: {
        ...outboxKey(message.eventId),
        [OUTBOX_ENTRY_ATTRIBUTE]: JSON.stringify(message.entry),
        [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + OUTBOX_RETENTION_DAYS * 86_400,
      },
    },
  };
}
