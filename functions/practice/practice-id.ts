// A practice id as every entry point accepts it (docs/architecture.md §4): alone in its file so that code which
// only names practices — the event schema, in every function that writes an event — does not bundle the whole
// onboarding request's validation (practice-input.ts).
import * as z from "zod/mini";
import { redactCustomerKeys } from "../platform/mask.js";

const PRACTICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Shows a rejected value in an error message without letting it flood or break the message, and without a
 * CustomerKey in it (a practice id column or argument that swallowed the key: `imp-1\tQJXZ…` → `imp-1\t…W2HD`).
 */
export function describeValue(value: unknown): string {
  if (typeof value !== "string") return value === null ? "null" : typeof value;
  const redacted = redactCustomerKeys(value);
  const truncated = redacted.length > 40;
  const shown = JSON.stringify(truncated ? `${redacted.slice(0, 40)}…` : redacted);
  return truncated ? `${shown} (${value.length} characters)` : shown;
}

export function stringRequired(field: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `${field} is required`
      : `${field} must be a string, got ${describeValue(issue.input)}`;
}

/** A practice id: 1–64 characters of `A-Z a-z 0-9 . _ : -` (safe in keys, execution input and log lines). */
export const practiceIdSchema = z.string({ error: stringRequired("practiceId") }).check(
  z.regex(PRACTICE_ID_PATTERN, {
    error: (issue) =>
      `practiceId must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", got ${describeValue(issue.input)}`,
  }),
);
