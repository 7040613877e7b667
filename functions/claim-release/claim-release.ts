// Releases the claim of an onboarding or offboarding execution that ended (FAILED, TIMED_OUT, ABORTED) without
// running its compensation: EventBridge delivers Step Functions' "Execution Status Change" event and this runs
// the workflow's own compensation step for it, so the practice does not stay claimed until a repairing
// reconciliation. Deciding only by the practice record makes a redelivery, or the event of an execution that
// did compensate, a no-op.
import * as z from "zod/mini";
import {
  EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
  EXECUTION_STATUS_CHANGE_SOURCE,
  UNRELEASED_END_STATUSES,
} from "../../contracts/execution-status-change.js";
import { compensateOffboarding } from "../offboarding/offboarding-steps.js";
import { compensateOnboarding, type OnboardingDeps } from "../onboarding/onboarding-steps.js";
import type { CaughtError } from "../platform/caught-error.js";

/** Audit actor of every change made here. */
export const CLAIM_RELEASE_ACTOR = "claim-release";

export {
  EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
  EXECUTION_STATUS_CHANGE_SOURCE,
  UNRELEASED_END_STATUSES,
} from "../../contracts/execution-status-change.js";

const executionStatusChange = z.object({
  source: z.literal(EXECUTION_STATUS_CHANGE_SOURCE),
  "detail-type": z.literal(EXECUTION_STATUS_CHANGE_DETAIL_TYPE),
  detail: z.object({
    name: z.string().check(z.minLength(1)),
    stateMachineArn: z.string().check(z.minLength(1)),
    status: z.enum(UNRELEASED_END_STATUSES),
    /** The execution input as JSON text; null when Step Functions left it out of the event. */
    input: z.optional(z.nullable(z.string())),
    error: z.optional(z.nullable(z.string())),
    cause: z.optional(z.nullable(z.string())),
  }),
});

const executionInput = z.object({ practiceId: z.string().check(z.minLength(1)) });

export type ReleasedWorkflow = "onboarding" | "offboarding";

/** What one delivery did. */
export type ClaimReleaseOutcome =
  /** Not an event this function acts on (malformed, another state machine, no practice in the input). */
  | { readonly outcome: "ignored"; readonly reason: string }
  /** The practice is not claimed by this execution any more: nothing written. */
  | {
      readonly outcome: "alreadyReleased";
      readonly workflow: ReleasedWorkflow;
      readonly practiceId: string;
      readonly status: string;
    }
  /** The workflow's compensation ran for the execution. */
  | {
      readonly outcome: "released";
      readonly workflow: ReleasedWorkflow;
      readonly practiceId: string;
      readonly status: string;
      /** Onboarding: whether the key the practice held was disabled (null: it held none). */
      readonly keyDisabled?: boolean | null;
      /** Onboarding: whether its PracticeOnboardingFailed event was recorded (the outbox delivers it). */
      readonly eventRecorded?: boolean;
    };

export interface ClaimReleaseDeps extends OnboardingDeps {
  /** ARNs of the state machines whose executions hold claims. */
  readonly stateMachines: { readonly onboarding?: string; readonly offboarding?: string };
}

/** The `$.error` compensation would have received, from how the execution ended. */
export function endedExecutionError(detail: {
  readonly name: string;
  readonly status: (typeof UNRELEASED_END_STATUSES)[number];
  readonly error?: string | null;
  readonly cause?: string | null;
}): CaughtError {
  switch (detail.status) {
    case "TIMED_OUT":
      return {
        Error: "States.Timeout",
        Cause: detail.cause || `execution ${detail.name} timed out before releasing its claim`,
      };
    case "ABORTED":
      return {
        Error: "States.Aborted",
        Cause: detail.cause || `execution ${detail.name} was stopped before releasing its claim`,
      };
    case "FAILED":
      return {
        Error: detail.error || "States.Failed",
        Cause: detail.cause || `execution ${detail.name} failed before releasing its claim`,
      };
  }
}

/**
 * Runs the compensation of the workflow the event's state machine belongs to, when the practice is still
 * claimed (ONBOARDING / OFFBOARDING) by the execution the event names; otherwise does nothing. Never throws for
 * an event it cannot use (logged, then ignored); throws what compensation throws (portal outage, throttling),
 * for Lambda's asynchronous retries.
 */
export async function releaseClaim(deps: ClaimReleaseDeps, event: unknown): Promise<ClaimReleaseOutcome> {
  const logger = deps.logger;
  const parsed = z.safeParse(executionStatusChange, event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    logger?.error("malformed execution status event ignored", { field, issue: issue.message });
    return { outcome: "ignored", reason: `malformed event: ${field}: ${issue.message}` };
  }
  const detail = parsed.data.detail;
  const workflow: ReleasedWorkflow | undefined =
    detail.stateMachineArn === deps.stateMachines.onboarding
      ? "onboarding"
      : detail.stateMachineArn === deps.stateMachines.offboarding
        ? "offboarding"
        : undefined;
  if (!workflow) {
    logger?.warn("execution status event of another state machine ignored", {
      stateMachineArn: detail.stateMachineArn,
    });
    return { outcome: "ignored", reason: "not an onboarding or offboarding execution" };
  }
  // First: no claim by this execution can land from now on (a stop during its claim Lambda lets that invocation
  // run on). A claim that committed before this write is seen by the reads below and released.
  await deps.store.recordExecutionEnded(workflow, detail.name);
  const claimedStatus = workflow === "onboarding" ? "ONBOARDING" : "OFFBOARDING";
  // The input names the practice; when the event carries none (Step Functions may leave the input out, e.g. for
  // state machines encrypted with a customer-managed key), the practices in the claimed status are few: look
  // for the one this execution holds.
  const practiceId =
    practiceIdOf(detail.input) ??
    (await deps.store.listPractices({ status: claimedStatus })).find((p) => p.lastExecution === detail.name)
      ?.practiceId;
  if (!practiceId) {
    logger?.info("no practice is claimed by the execution; nothing to release", {
      executionName: detail.name,
      status: detail.status,
    });
    return {
      outcome: "ignored",
      reason: `its input names no practice and no ${claimedStatus} practice is held by execution ${detail.name}`,
    };
  }

  const practice = await deps.store.getPractice(practiceId);
  if (practice?.status !== claimedStatus || practice.lastExecution !== detail.name) {
    logger?.info("claim already released", {
      workflow,
      executionStatus: detail.status,
      practiceStatus: practice?.status ?? null,
    });
    return { outcome: "alreadyReleased", workflow, practiceId, status: practice?.status ?? "UNKNOWN" };
  }

  const error = endedExecutionError(detail);
  const owned = { practiceId, executionName: detail.name, actor: CLAIM_RELEASE_ACTOR, error };
  logger?.warn("releasing the claim of an execution that ended without releasing it", {
    workflow,
    executionStatus: detail.status,
    error: error.Error,
  });
  if (workflow === "offboarding") {
    const restored = await compensateOffboarding(deps, owned);
    return { outcome: "released", workflow, practiceId, status: restored.status };
  }
  const compensation = await compensateOnboarding(deps, { ...owned, requestedBy: CLAIM_RELEASE_ACTOR });
  return {
    outcome: "released",
    workflow,
    practiceId,
    status: compensation.status,
    keyDisabled: compensation.keyDisabled,
    // Compensation wrote it beside the FAILED status (docs/events.md "Delivery").
    eventRecorded: compensation.event !== null,
  };
}

function practiceIdOf(input: string | null | undefined): string | undefined {
  if (!input) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    return undefined;
  }
  const parsed = z.safeParse(executionInput, value);
  return parsed.success ? parsed.data.practiceId : undefined;
}
