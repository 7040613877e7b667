import { ArnFormat, Duration, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import {
  EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
  EXECUTION_STATUS_CHANGE_SOURCE,
  UNRELEASED_END_STATUSES,
} from "../contracts/execution-status-change.js";
import { STATUS_INDEX } from "../contracts/table-schema.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import { HandlerFunction } from "./handler-function.js";
import { acknowledgeTableKeyActions } from "./nag-acknowledgments.js";
import type { PracticeTable } from "./practice-table.js";
import { PORTAL_FUNCTION_TIMEOUT, TABLE_KEY_ACTIONS } from "./workflow-function-settings.js";

/** Key policy statement id letting EventBridge put dead letters on this account's encrypted queues. */
export const EVENTBRIDGE_DEAD_LETTER_KEY_SID = "EventBridgeRulesSendDeadLettersToThisAccountsQueues";

export interface ClaimReleaseProps {
  /** Table holding the practice records the release reads and compensates. */
  readonly table: PracticeTable;
  /** Secret holding the portal credentials: onboarding's release disables the key the practice holds. */
  readonly portalCredentials: secretsmanager.ISecret;
  /** Customer-managed key of the log group and the dead-letter queue; EventBridge is let use it for the queue. */
  readonly encryptionKey: kms.IKey;
  readonly onboardingStateMachine: sfn.IStateMachine;
  readonly offboardingStateMachine: sfn.IStateMachine;
  /**
   * The workflows' portal environment (OnboardingWorkflow.portalEnvironment), so the release shares their rate
   * limiter item, budget and timeouts.
   */
  readonly portalEnvironment: Readonly<Record<string, string>>;
  /** EventBridge's retries when invoking the function fails (throttled, unavailable). @default 5 */
  readonly retryAttempts?: number;
  /** How long EventBridge keeps retrying one event. @default 1 hour */
  readonly maxEventAge?: Duration;
  /** Log retention of the function. @default three months */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Releases the claim of an onboarding or offboarding execution that ended FAILED, TIMED_OUT or ABORTED without
 * compensating (a timeout, a StopExecution, a failed compensation step): an EventBridge rule on the default bus
 * sends Step Functions' status change of exactly those executions to a function that runs the workflow's own
 * compensation when the practice is still claimed by that execution (functions/claim-release/release-claim.ts).
 *
 * An event EventBridge could not deliver, or the function failed after Lambda's two asynchronous retries, lands
 * in the encrypted dead-letter queue, which an alarm watches (`deadLetterQueue`).
 */
export class ClaimRelease extends Construct {
  readonly function: HandlerFunction;
  readonly rule: events.Rule;
  /** Events not delivered, or not handled after every retry; alarm on ApproximateNumberOfMessagesVisible > 0. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ClaimReleaseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const table = props.table.table;
    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, "the claim release");
    // EventBridge sends dead letters as itself: the key must let it encrypt for the queue. Pinned to this
    // account's rules and queues by pattern, as the rule and queue reference the key (naming them is a cycle).
    props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: EVENTBRIDGE_DEAD_LETTER_KEY_SID,
        principals: [new iam.ServicePrincipal("events.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        conditions: {
          StringEquals: { "aws:SourceAccount": stack.account },
          ArnLike: {
            "aws:SourceArn": stack.formatArn({
              service: "events",
              resource: "rule",
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
              resourceName: "*",
            }),
            "kms:EncryptionContext:aws:sqs:arn": stack.formatArn({
              service: "sqs",
              resource: "*",
              arnFormat: ArnFormat.NO_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    this.function = new HandlerFunction(this, "Function", {
      entry: "functions/claim-release/release-claim.ts",
      description:
        "Releases the claim of an onboarding/offboarding execution that ended without compensating",
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      timeout: PORTAL_FUNCTION_TIMEOUT,
      environment: {
        ...props.portalEnvironment,
        ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn,
        OFFBOARDING_STATE_MACHINE_ARN: props.offboardingStateMachine.stateMachineArn,
      },
      deadLetterQueue: this.deadLetterQueue,
    });
    const fn = this.function.function;
    // Exactly what the two compensation steps do: read the practice, one transaction (update + audit put) and
    // rate-limiter slots — on the table alone, not `<table>/index/*`.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resources: [table.tableArn],
      }),
    );
    // An event without the execution's input: the practice it holds is found among the claimed ones, through
    // the status index (this index only).
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: [`${table.tableArn}/index/${STATUS_INDEX}`],
      }),
    );
    // Items are encrypted with the customer-managed key (the same key encrypts the dead-letter queue).
    table.encryptionKey?.grant(fn, ...TABLE_KEY_ACTIONS);
    acknowledgeTableKeyActions(fn);
    props.portalCredentials.grantRead(fn);
    // Two retries a minute or two apart ride out a short portal outage; then the dead-letter queue.
    fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });

    this.rule = new events.Rule(this, "ExecutionEndedWithoutRelease", {
      description:
        "Onboarding/offboarding executions that ended FAILED, TIMED_OUT or ABORTED: release their claim",
      eventPattern: {
        source: [EXECUTION_STATUS_CHANGE_SOURCE],
        detailType: [EXECUTION_STATUS_CHANGE_DETAIL_TYPE],
        detail: {
          status: [...UNRELEASED_END_STATUSES],
          stateMachineArn: [
            props.onboardingStateMachine.stateMachineArn,
            props.offboardingStateMachine.stateMachineArn,
          ],
        },
      },
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: props.retryAttempts ?? 5,
          maxEventAge: props.maxEventAge ?? Duration.hours(1),
        }),
      ],
    });
  }
}
