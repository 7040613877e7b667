// `ops onboard <practiceId>`: starts the Onboarding workflow for one practice, as the CRM webhook would.
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode } from "../errors.js";
import { opsExecutionName } from "../execution-names.js";
import { formatFields } from "../format.js";
import { practiceView } from "../practice-view.js";
import type { OnboardingRequest, OnboardOptions } from "../requests.js";
import { runWorkflow, succeeded } from "../run-workflow.js";
import { describeEnd, describeStarted } from "./workflow-end.js";

export async function onboard(
  context: CommandContext,
  request: OnboardingRequest,
  options: OnboardOptions,
): Promise<ExitCode> {
  const { target } = context;
  const stateMachineArn = target.output(STACK_OUTPUTS.onboarding, "onboarding workflow");
  const run = await runWorkflow(context, {
    stateMachineArn,
    name: opsExecutionName(request.practiceId),
    input: request,
    wait: options.wait === true,
    checkWith: [`status ${request.practiceId}`],
  });
  const record = run.result ? await target.practiceStore().getPractice(request.practiceId) : undefined;
  const practice = record ? practiceView(record) : undefined;
  context.printJson({
    command: "onboard",
    practiceId: request.practiceId,
    devRefId: request.devRefId,
    requestedBy: request.requestedBy,
    ...run,
    ...(practice ? { practice } : {}),
  });
  if (!run.result) {
    context.print(
      describeStarted(
        `onboarding of ${request.practiceId}`,
        run,
        context.opsCommand(`status ${request.practiceId}`),
      ),
    );
    return EXIT.ok;
  }
  context.print(describeEnd(`Onboarding of ${request.practiceId}`, run.result));
  if (practice)
    context.print(
      formatFields(
        [
          ["status", practice.status],
          ["key", practice.maskedKey],
          ["failure", practice.failureReason],
        ],
        "  ",
      ),
    );
  return succeeded(run) ? EXIT.ok : EXIT.failed;
}
