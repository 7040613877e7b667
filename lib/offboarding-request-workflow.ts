import { Arn, ArnFormat, Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { HandlerFunction } from "./handler-function.js";
import { acknowledgeWildcardResource } from "./nag-acknowledgments.js";
import { workflowStateMachine } from "./workflow-state-machine.js";
import { lambdaStep } from "./workflow-task.js";

/** A week: long enough for the CRM to say "won back" before the key is disabled. */
export const DEFAULT_OFFBOARDING_GRACE = Duration.days(7);
/** How long an approval-required request waits for `ops approve-offboarding` after its grace period. */
export const APPROVAL_WINDOW = Duration.days(30);

export interface OffboardingRequestWorkflowProps {
  /** The workflow a request starts once its grace period has passed. */
  readonly offboardingStateMachine: sfn.IStateMachine;
  readonly encryptionKey: kms.IKey;
  /** Only an operator's `ops approve-offboarding` offboards; the grace period alone never does. @default false */
  readonly requiresApproval?: boolean;
  /** The grace period (the webhook computes each request's `runAt` from it). @default 7 days */
  readonly gracePeriod?: Duration;
  readonly logRetention?: logs.RetentionDays;
}

/**
 * An offboarding request (docs/architecture.md §5), input functions/webhook/offboarding-request.ts: Wait until
 * `$.runAt`, then start the Offboarding workflow — or, when the stack requires approval, wait for an operator
 * (who approves by starting the offboarding and stopping this request) and expire after APPROVAL_WINDOW.
 * Cancelling is stopping the execution: a "won back" delivery or `ops cancel-offboarding`.
 */
export class OffboardingRequestWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly startOffboarding: HandlerFunction;
  readonly gracePeriod: Duration;
  readonly requiresApproval: boolean;

  constructor(scope: Construct, id: string, props: OffboardingRequestWorkflowProps) {
    super(scope, id);
    this.gracePeriod = props.gracePeriod ?? DEFAULT_OFFBOARDING_GRACE;
    this.requiresApproval = props.requiresApproval ?? false;
    this.startOffboarding = new HandlerFunction(new Construct(this, "Functions"), "StartOffboarding", {
      entry: "functions/webhook/offboarding-request-start.ts",
      description: "Offboarding request: start the Offboarding workflow once the grace period has passed",
      timeout: Duration.seconds(10),
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      environment: { OFFBOARDING_STATE_MACHINE_ARN: props.offboardingStateMachine.stateMachineArn },
    });
    const fn = this.startOffboarding.function;
    props.offboardingStateMachine.grantStartExecution(fn);
    const executionsArn = Stack.of(this).formatArn({
      service: "states",
      resource: "execution",
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${Arn.split(props.offboardingStateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
    });
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ["states:DescribeExecution"],
      resourceArns: [executionsArn],
    });
    acknowledgeWildcardResource(
      fn,
      executionsArn,
      "DescribeExecution tells a retried start from a new one; execution names are only known at run time.",
    );

    const grace = new sfn.Wait(this, "GracePeriod", {
      comment: "Until the request's runAt; stopping the execution here cancels the request",
      time: sfn.WaitTime.timestampPath("$.runAt"),
    });
    const start = lambdaStep(
      this,
      "StartOffboarding",
      this.startOffboarding,
      { "input.$": "$", "executionName.$": "$$.Execution.Name" },
      "$.offboarding",
    );
    // A throttled or unavailable StartExecution surfaces as the function's SDK error.
    start.addRetry({
      errors: ["ThrottlingException", "ServiceUnavailable", "InternalServerError", "States.Timeout"],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 5,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const afterGrace = this.requiresApproval
      ? new sfn.Wait(this, "AwaitApproval", {
          comment: "ops approve-offboarding starts the offboarding and stops this request",
          time: sfn.WaitTime.duration(APPROVAL_WINDOW),
        }).next(
          new sfn.Fail(this, "ApprovalExpired", {
            error: "ApprovalExpired",
            cause:
              "no operator approved the offboarding within the approval window; the practice was left as it is",
          }),
        )
      : start.next(new sfn.Succeed(this, "OffboardingStarted"));

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, {
      name: "OffboardingRequest",
      comment: "Waits out a churned practice's grace period, then offboards it unless cancelled",
      definition: grace.next(afterGrace),
      // The longest a request may wait (runAt is at most the grace period away), plus the approval window.
      timeout: Duration.seconds(
        this.gracePeriod.toSeconds() + (this.requiresApproval ? APPROVAL_WINDOW.toSeconds() : 0) + 3600,
      ),
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      invokedFunctions: [this.startOffboarding],
    }));
  }
}
