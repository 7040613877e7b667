// Validation of an offboarding request (`{practiceId, reason, requestedBy?}`), shared by the workflow's first
// step and the ops CLI so both accept and reject exactly the same input.
import * as z from "zod/mini";
import { InvalidInput } from "../platform/errors.js";
import { issuedAtSchema, practiceIdSchema } from "../practice/practice-input.js";

/** Longest offboarding reason, in characters (code points), after trimming. */
export const MAX_OFFBOARDING_REASON_CHARACTERS = 500;
const MAX_REQUESTED_BY_CHARACTERS = 255;
// \p{Cc}: control characters (NUL, tab, newline, DEL, …) would break the record, the audit trail and log lines.
const CONTROL_CHARACTER = /\p{Cc}/u;

function printableText(field: string, maxCharacters: number) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `${field} is required`
          : `${field} must be a string, got ${typeof issue.input}`,
    })
    .check(
      z.trim(),
      z.minLength(1, { error: `${field} must not be empty or only whitespace`, abort: true }),
      z.refine((value) => [...value].length <= maxCharacters, {
        error: (issue) =>
          `${field} must be at most ${maxCharacters} characters, got ${[...String(issue.input)].length}`,
        abort: true,
      }),
      z.refine((value) => !CONTROL_CHARACTER.test(value), {
        error: `${field} must not contain control characters (newline, tab, NUL, …)`,
      }),
    );
}

/** Why the practice is being offboarded: trimmed, 1–500 printable characters. */
export const offboardingReasonSchema = printableText("reason", MAX_OFFBOARDING_REASON_CHARACTERS);

const offboardingRequestSchema = z.object({
  practiceId: practiceIdSchema,
  reason: offboardingReasonSchema,
  requestedBy: z.optional(printableText("requestedBy", MAX_REQUESTED_BY_CHARACTERS)),
  issuedAt: z.optional(issuedAtSchema),
});

/** A validated offboarding request, defaults applied. */
export interface OffboardingRequest {
  readonly practiceId: string;
  readonly reason: string;
  /** Audit actor, e.g. `ops:alice`. */
  readonly requestedBy: string;
  /** When the request was issued (UTC ISO); absent from executions started before the ordering rule. */
  readonly issuedAt?: string;
}

/**
 * Validates an offboarding request. `requestedBy` defaults to `"unknown"`.
 * @throws InvalidInput naming the first field that is wrong and what is wrong with it.
 */
export function parseOffboardingRequest(input: unknown): OffboardingRequest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidInput(
      `offboarding request must be an object like {"practiceId": "...", "reason": "..."}, got ${
        Array.isArray(input) ? "array" : input === null ? "null" : typeof input
      }`,
    );
  }
  const result = z.safeParse(offboardingRequestSchema, input);
  if (!result.success) throw new InvalidInput(result.error.issues[0]!.message);
  const { practiceId, reason, requestedBy, issuedAt } = result.data;
  return {
    practiceId,
    reason,
    requestedBy: requestedBy ?? "unknown",
    ...(issuedAt === undefined ? {} : { issuedAt }),
  };
}
