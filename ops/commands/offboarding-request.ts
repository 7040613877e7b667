// `ops cancel-offboarding <practiceId>` and `ops approve-offboarding <practiceId>`: an operator's answer to a
// pending CRM offboarding request (lib/offboarding-request-workflow.ts). Cancelling stops the request;
// approving starts the Offboarding workflow now (under the name the request itself would use, so it never runs
// twice) and then stops the request.
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { offboardingExecutionNameFor } from "../../functions/webhook/offboarding-request.js";
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode, OperationFailed } from "../errors.js";
import { opsRequester } from "../execution-names.js";
import { type PendingRequestView, pendingOffboardingRequests } from "../offboarding-request-view.js";
import { runWorkflow } from "../run-workflow.js";
import { describeStarted } from "./workflow-end.js";

async function pendingOrFail(context: CommandContext, practiceId: string): Promise<PendingRequestView[]> {
  const pending = await pendingOffboardingRequests(context.target, practiceId);
  if (pending.length === 0)
    throw new OperationFailed(
      `no pending offboarding request for ${practiceId} in ${context.target.description}: nothing changed`,
    );
  return pending;
}

async function stopRequest(
  context: CommandContext,
  request: PendingRequestView,
  cause: string,
): Promise<void> {
  await context.target.sfn.send(
    new StopExecutionCommand({
      executionArn: request.executionArn,
      error: "OffboardingRequestCancelled",
      cause: cause.slice(0, 256),
    }),
  );
}

export async function cancelOffboarding(context: CommandContext, practiceId: string): Promise<ExitCode> {
  const pending = await pendingOrFail(context, practiceId);
  const actor = opsRequester();
  for (const request of pending) await stopRequest(context, request, `cancelled by ${actor}`);
  context.printJson({ command: "cancel-offboarding", practiceId, cancelled: pending });
  context.print(
    `Cancelled ${pending.length} pending offboarding request(s) of ${practiceId}: ${pending.map((r) => r.execution).join(", ")}. The practice is unchanged.`,
  );
  return EXIT.ok;
}

export async function approveOffboarding(context: CommandContext, practiceId: string): Promise<ExitCode> {
  const [request, ...others] = await pendingOrFail(context, practiceId);
  const actor = opsRequester();
  const run = await runWorkflow(context, {
    stateMachineArn: context.target.output(STACK_OUTPUTS.offboarding, "offboarding workflow"),
    name: offboardingExecutionNameFor(request!.execution),
    input: {
      practiceId,
      reason: request!.reason,
      requestedBy: `${request!.requestedBy}, approved by ${actor}`.slice(0, 255),
      issuedAt: request!.issuedAt,
    },
    wait: false,
    checkWith: [`status ${practiceId}`],
  });
  // Only once the offboarding is started: a failure before leaves the request pending, and approving again finds
  // the same execution name.
  for (const pending of [request!, ...others]) await stopRequest(context, pending, `approved by ${actor}`);
  context.printJson({ command: "approve-offboarding", practiceId, request: request!, ...run });
  context.print(
    describeStarted(
      `offboarding of ${practiceId} (approved)`,
      run,
      context.opsCommand(`status ${practiceId}`),
    ),
  );
  return EXIT.ok;
}
