// The offboarding request (docs/architecture.md §5): what a CRM "churned" delivery starts. The request's state
// machine (lib/offboarding-request-workflow.ts) waits until `runAt`, then starts the Offboarding workflow —
// unless the request was cancelled (its execution stopped by a "won back" delivery or `ops cancel-offboarding`)
// or the stack requires approval (`ops approve-offboarding`). Shared by the webhook, the start step and ops.
import * as z from "zod/mini";
import { InvalidInput } from "../platform/errors.js";
import { practiceIdSchema } from "../practice/practice-input.js";
import { executionNameForWebhook } from "./webhook-execution-name.js";

/** Grace period when the stack does not set one: a week for the CRM to say "won back". */
export const DEFAULT_OFFBOARDING_GRACE_SECONDS = 7 * 24 * 60 * 60;

export interface OffboardingRequestInput {
  readonly practiceId: string;
  readonly reason: string;
  /** Audit actor: `crm-webhook:<provider>:<delivery>` or `ops:<who>`. */
  readonly requestedBy: string;
  /** When the CRM says the churn happened (ISO 8601): the ordering rule compares it. */
  readonly issuedAt: string;
  /** When the grace period ends (ISO 8601, whole seconds, Z): the Wait state's TimestampPath. */
  readonly runAt: string;
  /** True when the stack only offboards after `ops approve-offboarding`. */
  readonly requiresApproval: boolean;
}

const isoDateTime = z.iso.datetime({ offset: true });
const schema = z.object({
  practiceId: practiceIdSchema,
  // The Offboarding workflow validates the reason again (functions/offboarding/offboarding-input.ts).
  reason: z.string().check(z.minLength(1), z.maxLength(500)),
  requestedBy: z.string().check(z.minLength(1), z.maxLength(255)),
  issuedAt: isoDateTime,
  runAt: isoDateTime,
  requiresApproval: z.boolean(),
});

/** @throws InvalidInput naming the first bad field. */
export function parseOffboardingRequestInput(input: unknown): OffboardingRequestInput {
  const result = z.safeParse(schema, input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidInput(`offboarding request ${issue.path.join(".") || "input"}: ${issue.message}`);
  }
  return result.data;
}

/** Step Functions' TimestampPath wants RFC 3339 without fractional seconds surprises: whole seconds, UTC. */
export function runAtAfter(start: Date, graceSeconds: number): string {
  const at = new Date(Math.ceil(start.getTime() / 1000) * 1000 + graceSeconds * 1000);
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The Offboarding execution a request starts, named from the request's own execution: the request's last step
 * and `ops approve-offboarding` use the same name, so at most one offboarding runs per request.
 */
export function offboardingExecutionNameFor(requestExecutionName: string): string {
  return executionNameForWebhook(`req-${requestExecutionName}`);
}
