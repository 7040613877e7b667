// `ops offboard <practiceId> --reason <text>`: starts the Offboarding workflow (disable the key, record it).
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode, OperationFailed } from "../errors.js";
import { opsExecutionName } from "../execution-names.js";
import { formatFields } from "../format.js";
import { practiceView } from "../practice-view.js";
import type { OffboardOptions, OffboardRequest } from "../requests.js";
import { runWorkflow, succeeded } from "../run-workflow.js";
import { describeEnd, describeStarted } from "./workflow-end.js";

export async function offboard(
  context: CommandContext,
  request: OffboardRequest,
  options: OffboardOptions,
): Promise<ExitCode> {
  const { target } = context;
  const stateMachineArn = target.output(STACK_OUTPUTS.offboarding, "offboarding workflow");
  // The workflow would fail on an unknown practice too; saying so here means nothing is started at all.
  const store = target.practiceStore();
  if (!(await store.getPractice(request.practiceId)))
    throw new OperationFailed(
      `no practice ${request.practiceId} is recorded in ${target.description}: nothing to offboard, nothing started`,
    );
  const run = await runWorkflow(context, {
    stateMachineArn,
    name: opsExecutionName(request.practiceId),
    input: request,
    wait: options.wait === true,
    checkWith: [`status ${request.practiceId}`],
  });
  const record = run.result ? await store.getPractice(request.practiceId) : undefined;
  const practice = record ? practiceView(record) : undefined;
  context.printJson({ command: "offboard", ...request, ...run, ...(practice ? { practice } : {}) });
  if (!run.result) {
    context.print(
      describeStarted(
        `offboarding of ${request.practiceId}`,
        run,
        context.opsCommand(`status ${request.practiceId}`),
      ),
    );
    return EXIT.ok;
  }
  context.print(describeEnd(`Offboarding of ${request.practiceId}`, run.result));
  if (practice)
    context.print(
      formatFields(
        [
          ["status", practice.status],
          ["key", practice.maskedKey],
        ],
        "  ",
      ),
    );
  return succeeded(run) ? EXIT.ok : EXIT.failed;
}
