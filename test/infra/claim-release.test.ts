// The synthesized claim release: the rule's exact pattern and target, the function's exact IAM statements and
// environment, the encrypted dead-letter queue and its alarm.
import { describe, expect, it } from "vitest";
import { EVENTBRIDGE_DEAD_LETTER_KEY_SID } from "../../lib/claim-release.js";
import { ALARM_RUNBOOK_ANCHORS } from "../../lib/operations-alarms.js";
import {
  arnOf,
  functionLogicalId,
  functionRole,
  logicalIdOf,
  roleStatements,
  stateMachineResource,
  templateResources,
} from "../support/synthesized-workflow.js";

const ENTRY = "functions/claim-release/release-claim.ts";
const BASIC_EXECUTION = {
  "Fn::Join": [
    "",
    ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  ],
};

const ids = () => ({
  fn: functionLogicalId(ENTRY),
  rule: logicalIdOf("AWS::Events::Rule", "ClaimRelease"),
  queue: logicalIdOf("AWS::SQS::Queue", "ClaimRelease"),
  key: logicalIdOf("AWS::KMS::Key", "Encryption"),
  table: logicalIdOf("AWS::DynamoDB::Table", "Practices"),
  onboarding: stateMachineResource("Onboarding")[0],
  offboarding: stateMachineResource("Offboarding")[0],
});
const properties = (logicalId: string) => templateResources()[logicalId]!.Properties!;

describe("ClaimRelease rule", () => {
  it("matches exactly the onboarding and offboarding executions that ended FAILED, TIMED_OUT or ABORTED", () => {
    const { rule, onboarding, offboarding } = ids();
    expect(properties(rule).EventPattern).toEqual({
      source: ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      detail: {
        status: ["FAILED", "TIMED_OUT", "ABORTED"],
        stateMachineArn: [{ Ref: onboarding }, { Ref: offboarding }],
      },
    });
    expect(properties(rule).EventBusName).toBeUndefined();
    expect(properties(rule).State).toBe("ENABLED");
  });

  it("targets the function alone, retrying 5 times for an hour, then the dead-letter queue", () => {
    const { rule, fn, queue } = ids();
    expect(properties(rule).Targets).toEqual([
      {
        Id: "Target0",
        Arn: arnOf(fn),
        DeadLetterConfig: { Arn: arnOf(queue) },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 5 },
      },
    ]);
  });

  it("lets only this rule invoke the function", () => {
    const { rule, fn } = ids();
    const permissions = Object.values(templateResources()).filter(
      (r) =>
        r.Type === "AWS::Lambda::Permission" &&
        JSON.stringify(r.Properties!.FunctionName) === JSON.stringify(arnOf(fn)),
    );
    expect(permissions.map((p) => p.Properties)).toEqual([
      {
        Action: "lambda:InvokeFunction",
        FunctionName: arnOf(fn),
        Principal: "events.amazonaws.com",
        SourceArn: arnOf(rule),
      },
    ]);
  });
});

describe("ClaimRelease function", () => {
  it("may do exactly what the two compensations and the portal call need, and nothing more (events go through the outbox)", () => {
    const { queue, key, table } = ids();
    const { roleId, managedPolicyArns } = functionRole(ENTRY);
    expect(roleStatements(roleId)).toEqual([
      { Action: "sqs:SendMessage", Effect: "Allow", Resource: arnOf(queue) },
      { Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Effect: "Allow", Resource: "*" },
      {
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        Effect: "Allow",
        Resource: arnOf(table),
      },
      {
        Action: "dynamodb:Query",
        Effect: "Allow",
        Resource: { "Fn::Join": ["", [arnOf(table), "/index/byStatusWithoutKeys"]] },
      },
      {
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        Effect: "Allow",
        Resource: arnOf(key),
      },
      {
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Effect: "Allow",
        Resource: { Ref: logicalIdOf("AWS::SecretsManager::Secret", "SecretsPortalCredentials") },
      },
      {
        // Key custody (docs/architecture.md §4 invariant 13): it opens the stored key to send it to the portal.
        Action: "kms:Decrypt",
        Condition: { StringEquals: { "kms:EncryptionContext:purpose": "open-dental-customer-key" } },
        Effect: "Allow",
        Resource: arnOf(logicalIdOf("AWS::KMS::Key", "KeyCustody")),
      },
    ]);
    expect(managedPolicyArns).toEqual([BASIC_EXECUTION]);
  });

  it("calls the portal with exactly the workflows' settings, so it shares their rate limiter", () => {
    const { fn, onboarding, offboarding } = ids();
    const variables = (logicalId: string) =>
      (properties(logicalId).Environment as { Variables: Record<string, unknown> }).Variables;
    const { ONBOARDING_STATE_MACHINE_ARN, OFFBOARDING_STATE_MACHINE_ARN, ...portal } = variables(fn);
    // Create-key also reads the key-fingerprint secret (it is where a new key is first seen); the rest is shared.
    const { KEY_FINGERPRINT_SECRET_ARN: _fingerprintSecret, ...createKey } = variables(
      functionLogicalId("functions/onboarding/onboarding-create-key.ts"),
    );
    expect(portal).toEqual(createKey);
    expect(portal).toEqual(variables(functionLogicalId("functions/offboarding/offboarding-disable-key.ts")));
    expect({ ONBOARDING_STATE_MACHINE_ARN, OFFBOARDING_STATE_MACHINE_ARN }).toEqual({
      ONBOARDING_STATE_MACHINE_ARN: { Ref: onboarding },
      OFFBOARDING_STATE_MACHINE_ARN: { Ref: offboarding },
    });
    expect(properties(fn).Timeout).toBe(90);
  });

  it("sends an event it failed twice more on to the dead-letter queue within the hour", () => {
    const { fn, queue } = ids();
    expect(properties(fn).DeadLetterConfig).toEqual({ TargetArn: arnOf(queue) });
    const [config] = Object.values(templateResources()).filter(
      (r) => r.Type === "AWS::Lambda::EventInvokeConfig",
    );
    expect(config!.Properties).toEqual({
      FunctionName: { Ref: fn },
      MaximumEventAgeInSeconds: 3600,
      MaximumRetryAttempts: 2,
      Qualifier: "$LATEST",
    });
  });
});

describe("ClaimRelease dead-letter queue", () => {
  it("is encrypted with the stack key, kept 14 days, and refuses requests without TLS", () => {
    const { queue, rule } = ids();
    expect(properties(queue)).toEqual({
      KmsMasterKeyId: arnOf(ids().key),
      MessageRetentionPeriod: 1209600,
    });
    const [policy] = Object.values(templateResources()).filter(
      (r) =>
        r.Type === "AWS::SQS::QueuePolicy" &&
        JSON.stringify(r.Properties!.Queues) === JSON.stringify([{ Ref: queue }]),
    );
    const statements = (policy!.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(statements.map(({ Sid: _sid, ...rest }) => rest)).toEqual([
      {
        Action: "sqs:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
        Effect: "Deny",
        Principal: { AWS: "*" },
        Resource: arnOf(queue),
      },
      {
        Action: "sqs:SendMessage",
        Condition: { ArnEquals: { "aws:SourceArn": arnOf(rule) } },
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Resource: arnOf(queue),
      },
    ]);
  });

  it("lets EventBridge use the key for this account's queues, on behalf of this account's rules only", () => {
    const statement = (properties(ids().key).KeyPolicy as { Statement: { Sid?: string }[] }).Statement.find(
      (s) => s.Sid === EVENTBRIDGE_DEAD_LETTER_KEY_SID,
    );
    const arn = (service: string, resource: string) => ({
      "Fn::Join": [
        "",
        [
          "arn:",
          { Ref: "AWS::Partition" },
          `:${service}:`,
          { Ref: "AWS::Region" },
          ":",
          { Ref: "AWS::AccountId" },
          resource,
        ],
      ],
    });
    expect(statement).toEqual({
      Sid: EVENTBRIDGE_DEAD_LETTER_KEY_SID,
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
        ArnLike: {
          "aws:SourceArn": arn("events", ":rule/*"),
          "kms:EncryptionContext:aws:sqs:arn": arn("sqs", ":*"),
        },
      },
    });
  });

  it("alarms on its first message, with the runbook entry for it", () => {
    const { queue } = ids();
    const alarms = Object.values(templateResources()).filter(
      (r) =>
        r.Type === "AWS::CloudWatch::Alarm" &&
        String(r.Properties!.AlarmDescription).includes(ALARM_RUNBOOK_ANCHORS.claimReleaseDeadLetters),
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
      Statistic: "Maximum",
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      AlarmActions: [{ Ref: logicalIdOf("AWS::SNS::Topic", "Operations") }],
    });
  });
});
