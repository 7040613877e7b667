// A practice's pending offboarding requests (CRM "churned", waiting out the grace period or an approval), as
// `ops status`, `ops cancel-offboarding` and `ops approve-offboarding` show them.
import {
  findPendingOffboardingRequests,
  type PendingOffboardingRequest,
} from "../functions/webhook/lifecycle-starter.js";
import { STACK_OUTPUTS } from "../local/local-endpoints.js";
import { formatFields, formatTime } from "./format.js";
import type { OpsTarget } from "./targets.js";

export interface PendingRequestView {
  readonly execution: string;
  readonly executionArn: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly issuedAt: string;
  readonly runAt: string;
  readonly requiresApproval: boolean;
  /** What happens next, in words. */
  readonly next: string;
}

export function pendingRequestView(request: PendingOffboardingRequest, now = new Date()): PendingRequestView {
  const { input } = request;
  const due = Date.parse(input.runAt) <= now.getTime();
  return {
    execution: request.name,
    executionArn: request.executionArn,
    requestedBy: input.requestedBy,
    reason: input.reason,
    issuedAt: input.issuedAt,
    runAt: input.runAt,
    requiresApproval: input.requiresApproval,
    next: input.requiresApproval
      ? due
        ? "awaiting approval (ops approve-offboarding)"
        : `grace period until ${input.runAt}, then awaits approval (ops approve-offboarding)`
      : `offboards at ${input.runAt} unless cancelled (ops cancel-offboarding)`,
  };
}

/** Pending requests of the practice; none when the stack has no request workflow. */
export async function pendingOffboardingRequests(
  target: OpsTarget,
  practiceId: string,
): Promise<PendingRequestView[]> {
  const arn = target.optionalOutput(STACK_OUTPUTS.offboardingRequest);
  if (!arn) return [];
  const pending = await findPendingOffboardingRequests(target.sfn, arn, practiceId);
  return pending.map((request) => pendingRequestView(request));
}

export function pendingRequestLines(requests: readonly PendingRequestView[]): string[] {
  if (requests.length === 0) return ["  none"];
  return requests.map((request) =>
    formatFields(
      [
        ["execution", request.execution],
        ["requested by", request.requestedBy],
        ["issued", formatTime(request.issuedAt)],
        ["runs at", formatTime(request.runAt)],
        ["next", request.next],
      ],
      "  ",
    ),
  );
}
