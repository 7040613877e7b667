// Validation of an onboarding request (`{practiceId, devRefId?, requestedBy?}`), shared by the webhook and the
// onboarding workflow so both accept and reject exactly the same input.
import * as z from "zod/mini";
import { InvalidInput } from "../platform/errors.js";
import { describeValue, practiceIdSchema, stringRequired } from "./practice-id.js";

export { practiceIdSchema } from "./practice-id.js";

// \p{Cc}: C0/C1 control characters (NUL, tab, newline, DEL, …): they break the portal's label display and logs.
const CONTROL_CHARACTER = /\p{Cc}/u;
const MAX_LABEL_CHARACTERS = 255;

function labelSchema(field: string) {
  return z.string({ error: stringRequired(field) }).check(
    z.trim(),
    z.minLength(1, { error: `${field} must not be empty or only whitespace`, abort: true }),
    z.refine((value) => [...value].length <= MAX_LABEL_CHARACTERS, {
      error: (issue) =>
        `${field} must be at most ${MAX_LABEL_CHARACTERS} characters, got ${[...String(issue.input)].length}`,
      abort: true,
    }),
    z.refine((value) => !CONTROL_CHARACTER.test(value), {
      error: `${field} must not contain control characters (newline, tab, NUL, …)`,
    }),
  );
}

/** The label the portal shows for the key (DevRefId): trimmed, 1–255 printable characters. */
export const devRefIdSchema = labelSchema("devRefId");

/**
 * When a lifecycle request was issued (the ordering rule, request-order.ts): an ISO 8601 date-time with its
 * offset, kept as UTC `toISOString()` so stored times compare as strings.
 */
export const issuedAtSchema = z.pipe(
  z.iso.datetime({
    offset: true,
    error: (issue) =>
      `issuedAt must be an ISO 8601 date-time such as 2025-01-31T12:00:00Z, got ${describeValue(issue.input)}`,
  }),
  z.transform((value: string) => new Date(value).toISOString()),
);

const onboardingRequestSchema = z.object({
  practiceId: practiceIdSchema,
  devRefId: z.optional(devRefIdSchema),
  requestedBy: z.optional(labelSchema("requestedBy")),
  issuedAt: z.optional(issuedAtSchema),
});

/** A validated onboarding request, defaults applied. */
export interface OnboardingRequest {
  practiceId: string;
  devRefId: string;
  requestedBy: string;
  /** When the request was issued (UTC ISO); absent from executions started before the ordering rule. */
  issuedAt?: string;
}

/**
 * Validates an onboarding request. `devRefId` defaults to the practice id and `requestedBy` to `"unknown"`.
 * @throws InvalidInput naming the first field that is wrong and what is wrong with it.
 */
export function parseOnboardingRequest(input: unknown): OnboardingRequest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidInput(
      `onboarding request must be an object like {"practiceId": "..."}, got ${Array.isArray(input) ? "array" : describeValue(input)}`,
    );
  }
  const result = z.safeParse(onboardingRequestSchema, input);
  if (!result.success) throw new InvalidInput(result.error.issues[0]!.message);
  const { practiceId, devRefId, requestedBy, issuedAt } = result.data;
  return {
    practiceId,
    devRefId: devRefId ?? practiceId,
    requestedBy: requestedBy ?? "unknown",
    ...(issuedAt === undefined ? {} : { issuedAt }),
  };
}
