import { describe, expect, it } from "vitest";
import {
  buildDomainEvent,
  type DomainEventInput,
  domainEventId,
} from "../../../functions/domain-events/domain-events.js";
import { eventMaskedKey, eventText } from "../../../functions/domain-events/event-fields.js";

const KEY = "QJXZR4PNK5B8W2HD";
const AT = "2025-03-04T05:06:07.000Z";

const onboarded: DomainEventInput = {
  type: "PracticeOnboarded",
  executionName: "crm-msg_2KWPBgLlAfxdpx2AI54pPJ85f9W",
  occurredAt: AT,
  practiceId: "practice-42",
  devRefId: "Smile Dental #42",
  maskedKey: eventMaskedKey("…W2HD #3f9a1c"),
  keyOrigin: "created",
};

function errorOf(run: () => unknown): { name: string; message: string } {
  try {
    run();
  } catch (error) {
    const { name, message } = error as Error;
    return { name, message };
  }
  throw new Error("expected a throw");
}

describe("buildDomainEvent", () => {
  it("builds a PracticeOnboarded event with schema version, derived id and the input's fields", () => {
    expect(buildDomainEvent(onboarded)).toEqual({
      source: "practice-onboarding",
      detailType: "PracticeOnboarded",
      detail: {
        schemaVersion: "1",
        eventId: domainEventId("PracticeOnboarded", "crm-msg_2KWPBgLlAfxdpx2AI54pPJ85f9W"),
        occurredAt: AT,
        executionName: "crm-msg_2KWPBgLlAfxdpx2AI54pPJ85f9W",
        practiceId: "practice-42",
        devRefId: "Smile Dental #42",
        maskedKey: "…W2HD #3f9a1c",
        keyOrigin: "created",
      },
    });
  });

  it("stamps occurredAt with the clock when the input has none", () => {
    const { occurredAt: _, ...withoutTime } = onboarded;

    const event = buildDomainEvent(withoutTime, () => new Date("2025-06-01T00:00:00.000Z"));

    expect(event.detail.occurredAt).toBe("2025-06-01T00:00:00.000Z");
  });

  it("builds a PracticeOnboardingFailed event without a key when none was created", () => {
    const event = buildDomainEvent({
      type: "PracticeOnboardingFailed",
      executionName: "crm-msg_1",
      occurredAt: AT,
      practiceId: "practice-42",
      reason: "PortalUnauthorized",
      message: "POST /apikeys: 401 Unauthorized",
    });

    expect(event.detail).toEqual({
      schemaVersion: "1",
      eventId: domainEventId("PracticeOnboardingFailed", "crm-msg_1"),
      occurredAt: AT,
      executionName: "crm-msg_1",
      practiceId: "practice-42",
      reason: "PortalUnauthorized",
      message: "POST /apikeys: 401 Unauthorized",
    });
  });

  it("builds a PracticeOffboarded event without a key for a practice that never got one", () => {
    const event = buildDomainEvent({
      type: "PracticeOffboarded",
      executionName: "ops-practice-42-20250501T120000000Z",
      occurredAt: AT,
      practiceId: "practice-42",
      devRefId: "Smile Dental #42",
      reason: "Never went live",
    });

    expect(event.detail).toEqual({
      schemaVersion: "1",
      eventId: domainEventId("PracticeOffboarded", "ops-practice-42-20250501T120000000Z"),
      occurredAt: AT,
      executionName: "ops-practice-42-20250501T120000000Z",
      practiceId: "practice-42",
      devRefId: "Smile Dental #42",
      reason: "Never went live",
    });
  });

  it("reports every reconciliation category, zero for those left out", () => {
    const event = buildDomainEvent({
      type: "ReconciliationCompleted",
      executionName: "reconcile-2025-03-04T05-00",
      occurredAt: AT,
      findingsByCategory: { STUCK: 1, NOT_YET_ASSIGNED: 3 },
      needingAttention: 1,
      repaired: 0,
    });

    expect(event.detail).toMatchObject({
      findingsByCategory: {
        UNMAPPED_KEY_OURS: 0,
        UNMAPPED_KEY_FOREIGN: 0,
        KEY_MISSING: 0,
        SHOULD_BE_DISABLED: 0,
        UNEXPECTEDLY_DISABLED: 0,
        LABEL_DRIFT: 0,
        STUCK: 1,
        NOT_YET_ASSIGNED: 3,
      },
      needingAttention: 1,
      repaired: 0,
    });
  });

  it("refuses a full key in the masked-key field, without echoing it", () => {
    const error = errorOf(() => buildDomainEvent({ ...onboarded, maskedKey: KEY }));

    expect(error).toEqual({
      name: "DomainEventInvalid",
      message: "PracticeOnboarded: maskedKey: must be a masked key like …W2HD #3f9a1c",
    });
  });

  it("publishes ids and labels as given, a key's shape included: they are the CRM's, not keys", () => {
    const event = buildDomainEvent({
      ...onboarded,
      practiceId: "DENTALPRACTICE01",
      devRefId: "DENTALPRACTICE01",
    });

    expect(event.detail).toMatchObject({ practiceId: "DENTALPRACTICE01", devRefId: "DENTALPRACTICE01" });
  });

  it("masks a key in free text instead of refusing the event, glued to other text or not", () => {
    const event = buildDomainEvent({
      type: "PracticeOnboardingFailed",
      executionName: "crm-msg_1",
      practiceId: "practice-42",
      reason: "KeyConflict",
      message: `key_${KEY}was taken`,
    });

    expect(event.detail).toMatchObject({ message: "key_…W2HDwas taken" });
  });

  it("masks free text made in code the same way (eventText), bounded to the field's length", () => {
    expect(eventText(`${KEY} `.repeat(300))).toHaveLength(1000);
    expect(eventText(`offboarded: ${KEY}`)).toBe("offboarded: …W2HD");
  });

  it("accepts key custody's masked form (last 4 and a short fingerprint)", () => {
    const event = buildDomainEvent({ ...onboarded, maskedKey: "…W2HD #3f9a1c" });

    expect(event.detail).toMatchObject({ maskedKey: "…W2HD #3f9a1c" });
  });

  it("refuses the old masked form, which showed 8 characters of the key, without echoing it", () => {
    const error = errorOf(() => buildDomainEvent({ ...onboarded, maskedKey: "QJXZ…W2HD" }));

    expect(error).toEqual({
      name: "DomainEventInvalid",
      message: "PracticeOnboarded: maskedKey: must be a masked key like …W2HD #3f9a1c",
    });
  });

  it("accepts longer upper-case identifiers that cannot be a key, such as a ULID practice id", () => {
    const event = buildDomainEvent({ ...onboarded, practiceId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" });

    expect(event.detail).toMatchObject({ practiceId: "01ARZ3NDEKTSV4RRFFQ69G5FAV" });
  });

  it("does not scan the execution name, which may end in a basic ISO time of a key's shape", () => {
    const event = buildDomainEvent({
      ...onboarded,
      executionName: "ops-offboard-practice-42-20250501T120000Z",
    });

    expect(event.detail.executionName).toBe("ops-offboard-practice-42-20250501T120000Z");
  });

  it("refuses a field the schema does not define", () => {
    const error = errorOf(() => buildDomainEvent({ ...onboarded, customerKey: "…W2HD #3f9a1c" }));

    expect(error).toEqual({
      name: "DomainEventInvalid",
      message: "PracticeOnboarded: unknown field(s) customerKey",
    });
  });

  it("masks a key-shaped field name in the message", () => {
    const error = errorOf(() => buildDomainEvent({ ...onboarded, [KEY]: true }));

    expect(error.message).toBe("PracticeOnboarded: unknown field(s) …W2HD");
  });

  it("names a missing field", () => {
    const { devRefId: _, ...withoutLabel } = onboarded;

    expect(errorOf(() => buildDomainEvent(withoutLabel)).message).toBe(
      "PracticeOnboarded: devRefId: is required",
    );
  });

  it("refuses an unknown event type", () => {
    const error = errorOf(() => buildDomainEvent({ ...onboarded, type: "PracticeDeleted" }));

    expect(error).toEqual({
      name: "DomainEventInvalid",
      message:
        "PracticeDeleted: type: must be one of PracticeOnboarded, PracticeOnboardingFailed, PracticeOffboarded, ReconciliationCompleted, PracticeActivationLinkIssued, PracticeKeyInstalled",
    });
  });

  it("refuses a non-UTC or malformed occurredAt", () => {
    const error = errorOf(() => buildDomainEvent({ ...onboarded, occurredAt: "yesterday" }));

    expect(error).toEqual({
      name: "DomainEventInvalid",
      message: "PracticeOnboarded: occurredAt: must be a UTC ISO 8601 time like 2025-03-04T05:06:07.000Z",
    });
  });
});

describe("domainEventId", () => {
  it("is the same for the same execution and type, so a retried publish repeats the event", () => {
    expect(domainEventId("PracticeOffboarded", "ops-1")).toBe(domainEventId("PracticeOffboarded", "ops-1"));
  });

  it("differs between event types of one execution", () => {
    expect(domainEventId("PracticeOnboarded", "crm-1")).not.toBe(
      domainEventId("PracticeOnboardingFailed", "crm-1"),
    );
  });

  it("is a lower-case UUID-shaped string, which can never look like a CustomerKey", () => {
    expect(domainEventId("ReconciliationCompleted", "reconcile-1")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });
});
