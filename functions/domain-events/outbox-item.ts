// The outbox write that goes into an outcome's own DynamoDB transaction (docs/events.md "Delivery"): the event
// is recorded if and only if the outcome is, and the table's stream hands it to the delivery function.
import {
  OUTBOX_ENTRY_ATTRIBUTE,
  OUTBOX_RETENTION_DAYS,
  type OutboxEntry,
  outboxKey,
} from "../../contracts/domain-event-outbox.js";
import { TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import type { DomainEvent } from "./domain-events.js";

/** The PutEvents entry (without the bus) an event becomes. */
export function outboxEntry(event: DomainEvent): OutboxEntry {
  return {
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: event.detail.occurredAt,
  };
}

/**
 * A TransactWriteItems `Put` of the event's outbox item, keyed by its eventId: the same event written twice is
 * one item (a second write of an unchanged item adds no stream record worth more than a same-id duplicate).
 */
export function outboxPut(tableName: string, event: DomainEvent, now: Date = new Date()) {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...outboxKey(event.detail.eventId),
        [OUTBOX_ENTRY_ATTRIBUTE]: JSON.stringify(outboxEntry(event)),
        [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + OUTBOX_RETENTION_DAYS * 86_400,
      },
    },
  };
}
