import { Duration } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DOMAIN_EVENT_SOURCE } from "../contracts/domain-event-names.js";
import { OUTBOX_PK_PREFIX } from "../contracts/domain-event-outbox.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import type { DomainEventBus } from "./domain-event-bus.js";
import { HandlerFunction } from "./handler-function.js";
import { acknowledgeTableKeyActions } from "./nag-acknowledgments.js";
import { TABLE_KEY_ACTIONS } from "./workflow-function-settings.js";

/**
 * The partition keys issuing a link reads and writes: the link items, the practice's record, pointer and audit,
 * and the link's PracticeActivationLinkIssued in the table's outbox (written in the issue's transaction).
 */
export const AUTO_ISSUE_LEADING_KEYS = ["ACTIVATION#*", "PRACTICE#*", `${OUTBOX_PK_PREFIX}*`];

export interface ActivationAutoIssueProps {
  /** The domain event bus whose PracticeOnboarded events trigger an issue (its own event goes to the outbox). */
  readonly eventBus: DomainEventBus;
  readonly table: dynamodb.ITable;
  /** Key of the function's log group and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** Deliveries EventBridge retries before the dead-letter queue. @default 8 */
  readonly retryAttempts?: number;
}

/**
 * Issues an activation link on every PracticeOnboarded (the stack's `autoIssueActivationLinks` option): a rule on
 * the domain event bus and its function (functions/activation/activation-auto-issue.ts). A consumer of the event
 * rather than an onboarding step: the onboarding saga stays as it is (a link that fails to issue can never
 * compensate an onboarding that worked), nothing runs when the option is off, and the rule's retries and
 * dead-letter queue handle failures. The URL never leaves the function (docs/events.md, PracticeActivationLinkIssued).
 */
export class ActivationAutoIssue extends Construct {
  readonly function: lambda.IFunction;
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ActivationAutoIssueProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, "the activation auto-issue rule");
    const handler = new HandlerFunction(this, "Handler", {
      entry: "functions/activation/activation-auto-issue.ts",
      description:
        "Activation link on PracticeOnboarded: issues the practice's link (its URL is never handed out)",
      timeout: Duration.seconds(30),
      encryptionKey: props.encryptionKey,
      environment: { TABLE_NAME: props.table.tableName },
      deadLetterQueue: this.deadLetterQueue,
    });
    this.function = handler.function;
    handler.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(2) });
    // Item actions on the table alone (no index), limited to the links and the practices' own partitions.
    handler.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resources: [props.table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": AUTO_ISSUE_LEADING_KEYS } },
      }),
    );
    props.table.encryptionKey?.grant(handler.function, ...TABLE_KEY_ACTIONS);
    acknowledgeTableKeyActions(handler.function);

    this.rule = new events.Rule(this, "OnPracticeOnboarded", {
      eventBus: props.eventBus.bus,
      description: "PracticeOnboarded → issue the practice an activation link",
      eventPattern: { source: [DOMAIN_EVENT_SOURCE], detailType: ["PracticeOnboarded"] },
      targets: [
        new targets.LambdaFunction(handler.function, {
          retryAttempts: props.retryAttempts ?? 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
