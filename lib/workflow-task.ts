// The one way the workflows call a Lambda: result only, an explicit ResultPath, a Task timeout just past the
// function's own, and retries with backoff and jitter on retryable errors only. Shared by every state machine.
import { Duration } from "aws-cdk-lib";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import { RETRYABLE_ERROR_NAMES } from "../contracts/error-names.js";
import type { HandlerFunction } from "./handler-function.js";

/**
 * A Task refused a rate-limit slot (`PortalThrottled`: the budget is queued PORTAL_MAX_WAIT_MS ahead already) comes
 * back until the queue drains: 25 retries from 10 s, ×1.5, capped at 60 s, full jitter — ~11 minutes on average,
 * well past the ~7 minutes a burst of 200 onboardings (400 requests) takes at the default 1 req/s: with 17 retries
 * (~7 minutes) one of 200 in the benchmark lost every draw for a slot. The transient policy below gave up
 * after ~1 minute on average, failing most of such a burst. Each retry is a state transition ($0.000025).
 */
export const RATE_LIMIT_RETRY = {
  errors: ["PortalThrottled"],
  interval: Duration.seconds(10),
  backoffRate: 1.5,
  maxAttempts: 25,
  maxDelay: Duration.seconds(60),
  jitterStrategy: sfn.JitterType.FULL,
} as const;

/** Errors a Task is retried on: our retryable domain errors and Lambda's own transient failures. */
export const ONBOARDING_RETRY_ERRORS: readonly string[] = [
  ...RETRYABLE_ERROR_NAMES.filter((name) => !RATE_LIMIT_RETRY.errors.includes(name as "PortalThrottled")),
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
  // Step Functions applies the first retrier whose errors match.
  task.addRetry({ ...RATE_LIMIT_RETRY, errors: [...RATE_LIMIT_RETRY.errors] });
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
