// The one way the workflows call a Lambda: result only, an explicit ResultPath, a Task timeout just past the
// function's own, and retries with backoff and jitter on retryable errors only. Shared by every state machine.
import { Duration } from "aws-cdk-lib";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { RETRYABLE_ERROR_NAMES } from "../contracts/error-names.js";
import type { HandlerFunction } from "./handler-function.js";

/** Errors a Task is retried on: our retryable domain errors and Lambda's own transient failures. */
export const ONBOARDING_RETRY_ERRORS: readonly string[] = [
  ...RETRYABLE_ERROR_NAMES,
  "Lambda.ServiceException",
  "Lambda.TooManyRequestsException",
  "Lambda.SdkClientException",
];

/** Slack between a function's timeout and its Task's, so the Lambda's own timeout error is what surfaces. */
export const TASK_TIMEOUT_SLACK = Duration.seconds(10);

/** A `LambdaInvoke` Task of `handler` with the workflows' shared result handling, timeout and retry policy. */
export function lambdaStep(
  scope: Construct,
  id: string,
  handler: HandlerFunction,
  payload: Record<string, unknown>,
  resultPath: string,
  outputPath?: string,
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: handler.function,
    payload: sfn.TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    resultPath,
    outputPath,
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(handler.function.timeout!.plus(TASK_TIMEOUT_SLACK)),
  });
  task.addRetry({
    errors: [...ONBOARDING_RETRY_ERRORS],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}
