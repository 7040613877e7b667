import { describe, expect, it } from "vitest";
import { parseOffboardingRequest } from "../../../functions/offboarding/offboarding-input.js";
import { InvalidInput } from "../../../functions/platform/errors.js";

describe("parseOffboardingRequest", () => {
  it("trims the reason and requestedBy", () => {
    expect(
      parseOffboardingRequest({
        practiceId: "p-1",
        reason: "  Closed the account \u00a0",
        requestedBy: " ops:alice ",
      }),
    ).toEqual({ practiceId: "p-1", reason: "Closed the account", requestedBy: "ops:alice" });
  });

  it("defaults requestedBy to unknown", () => {
    expect(parseOffboardingRequest({ practiceId: "p-1", reason: "Churned" })).toEqual({
      practiceId: "p-1",
      reason: "Churned",
      requestedBy: "unknown",
    });
  });

  it("accepts a 500-character reason, counting characters rather than UTF-16 units", () => {
    const reason = "😀".repeat(500);
    expect(parseOffboardingRequest({ practiceId: "p-1", reason }).reason).toBe(reason);
  });

  it.each([
    [{ reason: "x" }, "practiceId is required"],
    [
      { practiceId: "p 1", reason: "x" },
      'practiceId must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", got "p 1"',
    ],
    [{ practiceId: "p-1" }, "reason is required"],
    [{ practiceId: "p-1", reason: 42 }, "reason must be a string, got number"],
    [{ practiceId: "p-1", reason: "   " }, "reason must not be empty or only whitespace"],
    [{ practiceId: "p-1", reason: "x".repeat(501) }, "reason must be at most 500 characters, got 501"],
    [
      { practiceId: "p-1", reason: "line one\nline two" },
      "reason must not contain control characters (newline, tab, NUL, …)",
    ],
    [
      { practiceId: "p-1", reason: "nul\u0000" },
      "reason must not contain control characters (newline, tab, NUL, …)",
    ],
    [{ practiceId: "p-1", reason: "x", requestedBy: "" }, "requestedBy must not be empty or only whitespace"],
    [null, 'offboarding request must be an object like {"practiceId": "...", "reason": "..."}, got null'],
    [["p-1"], 'offboarding request must be an object like {"practiceId": "...", "reason": "..."}, got array'],
    ["p-1", 'offboarding request must be an object like {"practiceId": "...", "reason": "..."}, got string'],
  ])("rejects %j with InvalidInput naming what is wrong", (input, message) => {
    expect(() => parseOffboardingRequest(input)).toThrow(new InvalidInput(message));
  });
});
