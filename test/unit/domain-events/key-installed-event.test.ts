// PracticeKeyInstalled (docs/events.md): the practice, the masked key and the times — the publisher refuses a full
// key in any field, a portal time in another format, and fields outside the schema.
import { describe, expect, it } from "vitest";
import { buildDomainEvent } from "../../../functions/domain-events/domain-events.js";

const installed = {
  type: "PracticeKeyInstalled",
  executionName: "key-installed-4be1c0d9a2f3e5b6c7d8",
  occurredAt: "2025-05-03T15:00:04.000Z",
  practiceId: "practice-42",
  devRefId: "Sarah's Super Dental",
  maskedKey: "…W2HD #3f9a1c",
  installedAt: "2025-05-03T15:00:04.000Z",
  assignedInPortal: "2025-05-03 07:58:31",
};

function refusal(input: Record<string, unknown>): string {
  try {
    buildDomainEvent(input);
  } catch (error) {
    expect((error as Error).name).toBe("DomainEventInvalid");
    return (error as Error).message;
  }
  throw new Error("the event was accepted");
}

describe("PracticeKeyInstalled", () => {
  it("carries the practice, the masked key, when it was seen installed and the portal's own time", () => {
    const event = buildDomainEvent({ ...installed, onboardedAt: "2025-05-02T09:29:12.000Z" });
    expect(event.detailType).toBe("PracticeKeyInstalled");
    expect(event.detail).toMatchObject({
      maskedKey: "…W2HD #3f9a1c",
      assignedInPortal: "2025-05-03 07:58:31",
    });
    expect(buildDomainEvent(installed).detail.eventId).toBe(event.detail.eventId);
  });

  it.each([
    ["a full key as the masked key", { maskedKey: "QJXZR4PNK5B8W2HD" }],
    ["a key field", { customerKey: "QJXZR4PNK5B8W2HD" }],
    ["the sentinel-free ISO time as the portal's", { assignedInPortal: "2025-05-03T07:58:31Z" }],
    ["a portal time with a key appended", { assignedInPortal: "2025-05-03 07:58:31 QJXZR4PNK5B8W2HD" }],
    ["an installedAt with an offset", { installedAt: "2025-05-03T17:00:04+02:00" }],
    ["no installedAt", { installedAt: undefined }],
  ])("refuses %s", (_name, change) => {
    const message = refusal({ ...installed, ...change });
    expect(message).toMatch(/^PracticeKeyInstalled: /);
    expect(message).not.toContain("QJXZR4PNK5B8W2HD");
  });
});
