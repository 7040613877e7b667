// The id of a domain event, in a module of its own: tests and consumers compute it without loading the event
// schema (zod) or anything that builds a logger at import.
import { createHash } from "node:crypto";
import { DOMAIN_EVENT_SOURCE, type DomainEventType } from "../../contracts/domain-event-names.js";

/**
 * The event's id: a UUID-shaped SHA-256 of source, type and execution name. The same execution publishing the
 * same event again (a retried task, a redriven execution) gets the same id, so consumers can drop repeats.
 */
export function domainEventId(type: DomainEventType, executionName: string): string {
  const hex = createHash("sha256").update(`${DOMAIN_EVENT_SOURCE}\n${type}\n${executionName}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
