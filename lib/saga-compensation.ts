// The failure path both key workflows share: any error after the claim runs the compensation step (the error at
// `$.error`), which goes on to where the workflow ends failed; a compensation that fails itself ends in
// `CompensationFailed` (the claim release then tries again, see lib/claim-release.ts).
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";

/** The Fail state a compensated execution ends in: the step's error, compensation's reason as the cause. */
export function compensatedFailure(scope: Construct, id: string): sfn.Fail {
  return new sfn.Fail(scope, id, { errorPath: "$.error.Error", causePath: "$.compensation.reason" });
}

/** Sends every error of `steps` to `compensate`, and `compensate` on to `afterCompensation`. */
export function compensateOnFailure(
  scope: Construct,
  steps: readonly tasks.LambdaInvoke[],
  compensate: tasks.LambdaInvoke,
  afterCompensation: sfn.IChainable,
): void {
  const compensationFailed = new sfn.Fail(scope, "CompensationFailed", {
    errorPath: "$.compensationError.Error",
    causePath: "$.compensationError.Cause",
  });
  compensate.addCatch(compensationFailed, { errors: ["States.ALL"], resultPath: "$.compensationError" });
  compensate.next(afterCompensation);
  for (const step of steps) step.addCatch(compensate, { errors: ["States.ALL"], resultPath: "$.error" });
}
