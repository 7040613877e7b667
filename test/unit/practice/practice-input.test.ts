import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { InvalidInput } from "../../../functions/platform/errors.js";
import {
  devRefIdSchema,
  parseOnboardingRequest,
  practiceIdSchema,
} from "../../../functions/practice/practice-input.js";

function rejection(input: unknown): InvalidInput {
  try {
    parseOnboardingRequest(input);
  } catch (error) {
    if (error instanceof InvalidInput) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

const PRACTICE_ID_RULE = 'practiceId must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"';

describe("practiceIdSchema", () => {
  it.each(["p", "practice-42", "crm:acct.7_B", "x".repeat(64)])("accepts %j", (id) => {
    expect(z.parse(practiceIdSchema, id)).toBe(id);
  });

  it.each(["", "a b", "p/1", "p#1", "é", "x".repeat(65), " p"])("rejects %j", (id) => {
    expect(z.safeParse(practiceIdSchema, id).success).toBe(false);
  });
});

describe("devRefIdSchema", () => {
  it("trims surrounding whitespace", () => {
    expect(z.parse(devRefIdSchema, "  Smile Dental #4 \t")).toBe("Smile Dental #4");
  });

  it("counts characters, not UTF-16 units, against the 255 limit", () => {
    expect(z.parse(devRefIdSchema, "😀".repeat(255))).toBe("😀".repeat(255));
  });

  it.each(["", "   ", "a\nb", "a\u0000b", "a\u007fb", "x".repeat(256)])("rejects %j", (label) => {
    expect(z.safeParse(devRefIdSchema, label).success).toBe(false);
  });
});

describe("parseOnboardingRequest", () => {
  it("keeps issuedAt as UTC toISOString, so stored times compare as strings (the ordering rule)", () => {
    expect(
      parseOnboardingRequest({ practiceId: "p-1", issuedAt: "2025-01-31T13:00:00+01:00" }),
    ).toMatchObject({
      issuedAt: "2025-01-31T12:00:00.000Z",
    });
    expect(parseOnboardingRequest({ practiceId: "p-1" })).not.toHaveProperty("issuedAt");
  });

  it("names an issuedAt that is not an ISO 8601 date-time", () => {
    expect(rejection({ practiceId: "p-1", issuedAt: "yesterday" }).message).toBe(
      'issuedAt must be an ISO 8601 date-time such as 2025-01-31T12:00:00Z, got "yesterday"',
    );
  });

  it("defaults devRefId to the practice id and requestedBy to unknown", () => {
    expect(parseOnboardingRequest({ practiceId: "p-1" })).toEqual({
      practiceId: "p-1",
      devRefId: "p-1",
      requestedBy: "unknown",
    });
  });

  it("keeps a given devRefId and requestedBy, trimmed, and drops unknown fields", () => {
    expect(
      parseOnboardingRequest({
        practiceId: "p-1",
        devRefId: " Smile Dental ",
        requestedBy: " ops:ana ",
        x: 1,
      }),
    ).toEqual({ practiceId: "p-1", devRefId: "Smile Dental", requestedBy: "ops:ana" });
  });

  it("names a missing practiceId", () => {
    const error = rejection({ devRefId: "x" });
    expect(error.name).toBe("InvalidInput");
    expect(error.message).toBe("practiceId is required");
  });

  it("names a practiceId of the wrong type", () => {
    expect(rejection({ practiceId: 42 }).message).toBe("practiceId must be a string, got number");
    expect(rejection({ practiceId: null }).message).toBe("practiceId must be a string, got null");
  });

  it("says which characters a practiceId may hold and shows the bad value", () => {
    expect(rejection({ practiceId: "a b" }).message).toBe(`${PRACTICE_ID_RULE}, got "a b"`);
    expect(rejection({ practiceId: "" }).message).toBe(`${PRACTICE_ID_RULE}, got ""`);
  });

  it("shortens a long bad practiceId in the message and gives its length", () => {
    expect(rejection({ practiceId: "x".repeat(65) }).message).toBe(
      `${PRACTICE_ID_RULE}, got "${"x".repeat(40)}…" (65 characters)`,
    );
  });

  it("escapes control characters of a bad practiceId in the message", () => {
    expect(rejection({ practiceId: "p\n1" }).message).toBe(`${PRACTICE_ID_RULE}, got "p\\n1"`);
  });

  it("rejects a devRefId that is only whitespace", () => {
    expect(rejection({ practiceId: "p", devRefId: "   " }).message).toBe(
      "devRefId must not be empty or only whitespace",
    );
  });

  it("rejects a devRefId over 255 characters with its length", () => {
    expect(rejection({ practiceId: "p", devRefId: "é".repeat(256) }).message).toBe(
      "devRefId must be at most 255 characters, got 256",
    );
  });

  it("rejects a devRefId with control characters", () => {
    expect(rejection({ practiceId: "p", devRefId: "Smile\nDental" }).message).toBe(
      "devRefId must not contain control characters (newline, tab, NUL, …)",
    );
  });

  it("rejects a devRefId of the wrong type", () => {
    expect(rejection({ practiceId: "p", devRefId: 7 }).message).toBe("devRefId must be a string, got number");
  });

  it("rejects an empty requestedBy", () => {
    expect(rejection({ practiceId: "p", requestedBy: "" }).message).toBe(
      "requestedBy must not be empty or only whitespace",
    );
  });

  it.each([
    [null, "null"],
    [[], "array"],
    ["p-1", '"p-1"'],
    [undefined, "undefined"],
  ])("rejects a request that is not an object (%j)", (input, shown) => {
    expect(rejection(input).message).toBe(
      `onboarding request must be an object like {"practiceId": "..."}, got ${shown}`,
    );
  });
});
