// An event as the outbox records it (contracts/domain-event-outbox.ts): validated and built here, so what the
// stream delivers later is exactly what a publish would have sent, id included.
import type { OutboxEntry, OutboxMessage } from "../../contracts/domain-event-outbox.js";
import type { PracticeRecord } from "../practice/practice-record.js";
import { buildDomainEvent, type DomainEvent, type DomainEventInput } from "./domain-event.js";

/** The PutEvents entry (without the bus) an event becomes. */
export function outboxEntry(event: DomainEvent): OutboxEntry {
  return {
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Time: event.detail.occurredAt,
  };
}

/** Validates the input and returns the message the outbox records. @throws DomainEventInvalid */
export function outboxMessage(input: DomainEventInput): OutboxMessage {
  const event = buildDomainEvent(input);
  return { eventId: event.detail.eventId, entry: outboxEntry(event) };
}

/** The store's announce callback for an outcome whose event is built from the record it leaves behind. */
export function announcing(
  eventOf: (record: PracticeRecord) => DomainEventInput,
): (record: PracticeRecord) => OutboxMessage {
  return (record) => outboxMessage(eventOf(record));
}
