// The domain event each recorded outcome of a practice announces, built from the practice record that outcome
// wrote — by the workflows' record and compensation steps, the claim release and reconciliation's repairs alike,
// so the same outcome always says the same thing (docs/events.md).

import { shownKeyOf } from "../practice/practice-record.js";
import type { PracticeRecord } from "../practice/practice-store.js";
import type { DomainEventInput } from "./domain-events.js";
import { asEventMaskedKey, eventMaskedKey, eventText } from "./event-fields.js";

/** The record's masked key as an event field, when it holds one. */
function maskedKeyOf(record: PracticeRecord) {
  const maskedKey = record.maskedKey ? asEventMaskedKey(shownKeyOf(record)) : undefined;
  return maskedKey ? { maskedKey } : {};
}

/** PracticeOnboarded for an ACTIVE record, announced under `executionName`. */
export function practiceOnboardedEvent(record: PracticeRecord, executionName: string): DomainEventInput {
  return {
    type: "PracticeOnboarded",
    executionName,
    ...(record.activatedAt ? { occurredAt: record.activatedAt } : {}),
    practiceId: record.practiceId,
    devRefId: record.devRefId,
    // An ACTIVE record always holds a key; a record without one is a bug the publisher must not hide.
    maskedKey: eventMaskedKey(shownKeyOf(record)),
    ...(record.keyOrigin ? { keyOrigin: record.keyOrigin } : {}),
  };
}

/** PracticeOnboardingFailed for a FAILED record: `errorName` as the reason, the recorded reason as the message. */
export function practiceOnboardingFailedEvent(
  record: PracticeRecord,
  executionName: string,
  errorName: string,
): DomainEventInput {
  const message = eventText(record.failureReason ?? "");
  return {
    type: "PracticeOnboardingFailed",
    executionName,
    ...(record.failedAt ? { occurredAt: record.failedAt } : {}),
    practiceId: record.practiceId,
    ...(record.devRefId ? { devRefId: record.devRefId } : {}),
    ...maskedKeyOf(record),
    reason: eventText(errorName, 100),
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
    ...maskedKeyOf(record),
    ...(details?.reason ? { reason: eventText(details.reason) } : {}),
    // The portal keeps a customer's or HQ's own disable: the key was off before we asked.
    ...(portalKeyStatus && portalKeyStatus !== "DisabledByDeveloper" ? { alreadyDisabled: true } : {}),
    ...(details?.keyMissingInPortal ? { keyMissingInPortal: true } : {}),
  };
}
