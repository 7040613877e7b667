// The one customer-managed key: rotation, retention, and a key policy that lets exactly CloudWatch Logs and
// CloudWatch alarms use it for this account; role grants pinned to one state machine or one queue.
import { App, type CfnElement, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { EncryptionKey, KEY_POLICY_SIDS } from "../../lib/encryption-key.js";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

function partitionArn(rest: string) {
  return { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, rest]] };
}

function build({ regionAgnostic = false } = {}) {
  const app = new App();
  const env = regionAgnostic ? undefined : { account: ACCOUNT, region: REGION };
  const stack = new Stack(app, "KeyTest", { env });
  const encryption = new EncryptionKey(stack, "Encryption");
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { stack, encryption, logicalId };
}

function keyResource(template: Template) {
  const [key] = Object.values(template.findResources("AWS::KMS::Key"));
  return key!;
}

describe("EncryptionKey", () => {
  it("rotates yearly and is retained on delete and replacement", () => {
    const { stack } = build();
    const key = keyResource(Template.fromStack(stack));

    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe("Retain");
    expect(key.UpdateReplacePolicy).toBe("Retain");
    Template.fromStack(stack).hasResourceProperties("AWS::KMS::Alias", {
      AliasName: "alias/practice-onboarding",
    });
  });

  it("lets this account administer the key and CloudWatch Logs and alarms use it, nothing else", () => {
    const { stack } = build();

    expect(keyResource(Template.fromStack(stack)).Properties.KeyPolicy.Statement).toEqual([
      {
        Action: "kms:*",
        Effect: "Allow",
        Principal: { AWS: partitionArn(`:iam::${ACCOUNT}:root`) },
        Resource: "*",
      },
      {
        Sid: KEY_POLICY_SIDS.cloudWatchLogs,
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": partitionArn(`:logs:${REGION}:${ACCOUNT}:log-group:*`),
          },
        },
        Effect: "Allow",
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Resource: "*",
      },
      {
        Sid: KEY_POLICY_SIDS.cloudWatchAlarms,
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: {
            "aws:SourceArn": partitionArn(`:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`),
            "kms:EncryptionContext:aws:sns:topicArn": partitionArn(`:sns:${REGION}:${ACCOUNT}:*`),
          },
        },
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Resource: "*",
      },
    ]);
  });

  it("names the deploy region's CloudWatch Logs principal in a region-agnostic stack", () => {
    const { stack } = build({ regionAgnostic: true });
    const statements = keyResource(Template.fromStack(stack)).Properties.KeyPolicy.Statement as {
      Sid?: string;
      Principal: unknown;
    }[];

    expect(
      statements.find((statement) => statement.Sid === KEY_POLICY_SIDS.cloudWatchLogs)?.Principal,
    ).toEqual({
      Service: { "Fn::Join": ["", ["logs.", { Ref: "AWS::Region" }, ".amazonaws.com"]] },
    });
  });

  it("grants a caller one state machine's execution data by its encryption context", () => {
    const { stack, encryption, logicalId } = build();
    const stateMachine = new sfn.StateMachine(stack, "Workflow", {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, "Done")),
    });
    const caller = new iam.Role(stack, "Caller", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    });

    encryption.grantExecutionData(caller, stateMachine);

    Template.fromStack(stack).hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: logicalId(caller) }],
      PolicyDocument: {
        Statement: [
          {
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Condition: {
              StringEquals: {
                "kms:EncryptionContext:aws:states:stateMachineArn": { Ref: logicalId(stateMachine) },
              },
            },
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [logicalId(encryption.key), "Arn"] },
          },
        ],
      },
    });
  });

  it("grants a scheduler role the key for one queue, through SQS only", () => {
    const { stack, encryption, logicalId } = build();
    const queue = new sqs.Queue(stack, "DeadLetters", { encryptionMasterKey: encryption.key });
    const schedulerRole = new iam.Role(stack, "SchedulerRole", {
      assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com"),
    });

    encryption.grantEncryptForQueue(schedulerRole, queue);

    Template.fromStack(stack).hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: logicalId(schedulerRole) }],
      PolicyDocument: {
        Statement: [
          {
            Action: ["kms:GenerateDataKey", "kms:Decrypt"],
            Condition: {
              StringEquals: {
                "kms:ViaService": `sqs.${REGION}.amazonaws.com`,
                "kms:EncryptionContext:aws:sqs:arn": { "Fn::GetAtt": [logicalId(queue), "Arn"] },
              },
            },
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [logicalId(encryption.key), "Arn"] },
          },
        ],
      },
    });
  });
});
