// `ops reconcile [--repair] [--wait] [--show <runId>]`: starts a reconciliation (report-only unless --repair),
// optionally follows it and shows its report; or shows a stored run.
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode } from "../errors.js";
import { opsExecutionName, opsRequester } from "../execution-names.js";
import { viewReconciliationOutcome, viewReconciliationRun } from "../reconciliation-view.js";
import type { ReconcileOptions } from "../requests.js";
import { runWorkflow, succeeded } from "../run-workflow.js";
import { describeEnd, describeStarted } from "./workflow-end.js";

export async function reconcile(context: CommandContext, options: ReconcileOptions): Promise<ExitCode> {
  const { target } = context;
  if (options.show !== undefined) {
    const view = await viewReconciliationRun(target, options.show);
    context.printJson(view.document);
    context.print(view.text);
    return EXIT.ok;
  }
  const stateMachineArn = target.output(STACK_OUTPUTS.reconciliation, "reconciliation workflow");
  const input = {
    repair: options.repair === true,
    ...(options.graceMinutes === undefined ? {} : { graceMinutes: options.graceMinutes }),
  };
  const name = opsExecutionName(options.repair ? "reconcile-repair" : "reconcile");
  const run = await runWorkflow(context, {
    stateMachineArn,
    name,
    input,
    wait: options.wait === true,
    // The run is named after its execution; its report is readable once it ends.
    checkWith: ["executions --limit 5", `reconcile --show ${name}`],
  });
  const view =
    run.result?.status === "SUCCEEDED"
      ? await viewReconciliationOutcome(target, run.result.output)
      : undefined;
  context.printJson({
    command: "reconcile",
    requestedBy: opsRequester(),
    input,
    ...run,
    ...(view ? { report: view.document } : {}),
  });
  if (!run.result) {
    context.print(
      describeStarted(
        input.repair ? "reconciliation with repair" : "report-only reconciliation",
        run,
        context.opsCommand("executions --limit 5"),
      ),
    );
    return EXIT.ok;
  }
  context.print(describeEnd("Reconciliation", run.result));
  if (view) context.print(view.text);
  // A run that failed after it started has stored what it found so far, with the error.
  else context.print(`What it found before failing: ${context.opsCommand(`reconcile --show ${name}`)}`);
  return succeeded(run) ? EXIT.ok : EXIT.failed;
}
