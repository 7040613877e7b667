// The domain event each recorded outcome of a practice announces, built from the practice record that outcome
// wrote — by the workflows' record and compensation steps, the claim release and reconciliation's repairs alike,
// so the same outcome always says the same thing (docs/events.md).

import { redactCustomerKeys } from "../platform/mask.js";
import type { PracticeRecord } from "../practice/practice-store.js";
import type { DomainEventInput } from "./domain-events.js";

/** Longest `message` / `reason` text an event carries (docs/events.md). */
const MAX_EVENT_TEXT_LENGTH = 1000;

/** Free text for an event: key-shaped tokens masked (the publisher refuses an event holding one), bounded. */
function eventText(text: string): string {
  return redactCustomerKeys(text).slice(0, MAX_EVENT_TEXT_LENGTH);
}

/** PracticeOnboarded for an ACTIVE record, announced under `executionName`. */
export function practiceOnboardedEvent(record: PracticeRecord, executionName: string): DomainEventInput {
  return {
    type: "PracticeOnboarded",
    executionName,
    ...(record.activatedAt ? { occurredAt: record.activatedAt } : {}),
    practiceId: record.practiceId,
    devRefId: record.devRefId,
    maskedKey: record.maskedKey ?? "",
    ...(record.keyOrigin ? { keyOrigin: record.keyOrigin } : {}),
  };
}

/** PracticeOnboardingFailed for a FAILED record: `errorName` as the reason, the recorded reason as the message. */
export function practiceOnboardingFailedEvent(
  record: PracticeRecord,
  executionName: string,
  errorName: string,
): DomainEventInput {
  // Execution names inside the reason may end in a basic ISO time, which has a key's shape.
  const message = eventText(record.failureReason ?? "");
  return {
    type: "PracticeOnboardingFailed",
    executionName,
    ...(record.failedAt ? { occurredAt: record.failedAt } : {}),
    practiceId: record.practiceId,
    ...(record.devRefId ? { devRefId: record.devRefId } : {}),
    ...(record.maskedKey ? { maskedKey: record.maskedKey } : {}),
    reason: errorName.slice(0, 100),
    ...(message ? { message } : {}),
  };
}

/** PracticeOffboarded for an OFFBOARDED record. */
export function practiceOffboardedEvent(record: PracticeRecord, executionName: string): DomainEventInput {
  const details = record.offboarding;
  const portalKeyStatus = details?.portalKeyStatus;
  return {
    type: "PracticeOffboarded",
    executionName,
    ...(record.offboardedAt ? { occurredAt: record.offboardedAt } : {}),
    practiceId: record.practiceId,
    devRefId: record.devRefId,
    ...(record.maskedKey ? { maskedKey: record.maskedKey } : {}),
    // An operator's free text holding a key-shaped token would make the publisher refuse the event.
    ...(details?.reason ? { reason: eventText(details.reason) } : {}),
    // The portal keeps a customer's or HQ's own disable: the key was off before we asked.
    ...(portalKeyStatus && portalKeyStatus !== "DisabledByDeveloper" ? { alreadyDisabled: true } : {}),
    ...(details?.keyMissingInPortal ? { keyMissingInPortal: true } : {}),
  };
}
