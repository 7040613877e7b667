// PracticeActivationLinkIssued (docs/events.md): the practice, the link id and the expiry — the publisher refuses
// the URL, the token or anything but a 12-hex-digit link id, so a link cannot leave through an event.
import { describe, expect, it } from "vitest";
import { buildDomainEvent } from "../../../functions/domain-events/domain-events.js";

const issued = {
  type: "PracticeActivationLinkIssued",
  executionName: "activation-link-3fa92c0d81be",
  occurredAt: "2025-05-02T09:30:00.000Z",
  practiceId: "practice-42",
  linkId: "3fa92c0d81be",
  expiresAt: "2025-05-09T09:30:00.000Z",
};
const TOKEN = "q3Lx2v9dA0b_cD-eF1gH2iJ3kL4mN5oP6qR7sT8uV9w";

function refusal(input: Record<string, unknown>): string {
  try {
    buildDomainEvent(input);
  } catch (error) {
    expect((error as Error).name).toBe("DomainEventInvalid");
    return (error as Error).message;
  }
  throw new Error("the event was accepted");
}

describe("PracticeActivationLinkIssued", () => {
  it("carries the practice, link id and expiry, with an id per link", () => {
    const a = buildDomainEvent(issued);
    expect(a.detailType).toBe("PracticeActivationLinkIssued");
    expect(a.detail).toMatchObject({ practiceId: "practice-42", linkId: "3fa92c0d81be", schemaVersion: "1" });
    expect(buildDomainEvent(issued).detail.eventId).toBe(a.detail.eventId);
    expect(
      buildDomainEvent({ ...issued, executionName: "activation-link-91c4e07ab2d5", linkId: "91c4e07ab2d5" })
        .detail.eventId,
    ).not.toBe(a.detail.eventId);
  });

  it.each([
    ["a url field", { url: `https://x.example/activate/${TOKEN}` }],
    ["a token field", { token: TOKEN }],
    ["the token as link id", { linkId: TOKEN }],
    ["an upper-case link id", { linkId: "3FA92C0D81BE" }],
    ["a replaced link given as a token", { replacedLinkIds: [TOKEN] }],
    ["an expiry with an offset", { expiresAt: "2025-05-09T11:30:00+02:00" }],
  ])("refuses %s", (_name, change) => {
    expect(refusal({ ...issued, ...change })).toMatch(/^PracticeActivationLinkIssued: /);
  });
});
