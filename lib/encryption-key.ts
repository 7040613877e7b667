import { ArnFormat, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";

export interface EncryptionKeyProps {
  /** Alias for the key, without the `alias/` prefix. @default "practice-onboarding" */
  readonly alias?: string;
}

/** Key policy statement ids, so tests and reviewers can find each grant. */
export const KEY_POLICY_SIDS = {
  cloudWatchLogs: "CloudWatchLogsEncryptsThisAccountsLogGroups",
  cloudWatchAlarms: "CloudWatchAlarmsPublishToThisAccountsEncryptedTopics",
} as const;

/**
 * The one customer-managed KMS key (rotation on, retained) for the table, secrets, logs, queues, the alarm
 * topic and executions.
 *
 * The key policy keeps CDK's default statement (this account administers the key and IAM policies decide who
 * uses it) and adds the two AWS services that act as themselves rather than through a role of ours:
 * CloudWatch Logs (encrypting log groups) and CloudWatch alarms (publishing to an encrypted SNS topic). Both are
 * pinned to this account and region by encryption context, since the resources they serve reference the key
 * and cannot be named in its policy without a dependency cycle.
 *
 * Everything else uses the key through an IAM role and a grant below, each pinned to one resource by the
 * encryption context the service sets: Step Functions (`aws:states:stateMachineArn`) and SQS (`aws:sqs:arn`).
 */
export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, "Key", {
      alias: props.alias ?? "practice-onboarding",
      description: "Encrypts practice onboarding data: CustomerKeys, portal credentials, logs and executions",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stack = Stack.of(this);

    // The actions AWS documents for CloudWatch Logs, limited to log groups of this account and region.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: KEY_POLICY_SIDS.cloudWatchLogs,
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources: ["*"],
        conditions: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": stack.formatArn({
              service: "logs",
              resource: "log-group",
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              resourceName: "*",
            }),
          },
        },
      }),
    );

    // CloudWatch alarms publish to SNS as the CloudWatch service: it needs a data key for the encrypted topic.
    // Confused-deputy guard: only on behalf of this account's alarms, only for this account's topics.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: KEY_POLICY_SIDS.cloudWatchAlarms,
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        conditions: {
          StringEquals: { "aws:SourceAccount": stack.account },
          ArnLike: {
            "aws:SourceArn": stack.formatArn({
              service: "cloudwatch",
              resource: "alarm",
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              resourceName: "*",
            }),
            "kms:EncryptionContext:aws:sns:topicArn": stack.formatArn({ service: "sns", resource: "*" }),
          },
        },
      }),
    );
  }

  /**
   * Lets `grantee` read and write one state machine's encrypted execution data: what StartExecution,
   * DescribeExecution and GetExecutionHistory need when the state machine uses this key. (The state machine's
   * own role gets the same grant from CDK's CustomerManagedEncryptionConfiguration.)
   */
  grantExecutionData(grantee: iam.IGrantable, stateMachine: sfn.IStateMachine): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resourceArns: [this.key.keyArn],
      conditions: {
        StringEquals: { "kms:EncryptionContext:aws:states:stateMachineArn": stateMachine.stateMachineArn },
      },
    });
  }

  /**
   * Lets `grantee` put messages on one queue encrypted with this key, through SQS only. For an EventBridge
   * Scheduler execution role whose schedule has this queue as its dead-letter queue: the scheduler targets
   * grant `sqs:SendMessage` but nothing on the key, and without it dead letters are dropped.
   */
  grantEncryptForQueue(grantee: iam.IGrantable, queue: sqs.IQueue): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resourceArns: [this.key.keyArn],
      conditions: {
        StringEquals: {
          "kms:ViaService": `sqs.${Stack.of(this).region}.amazonaws.com`,
          "kms:EncryptionContext:aws:sqs:arn": queue.queueArn,
        },
      },
    });
  }
}
