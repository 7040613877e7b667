// The alarms, topic and dashboard in a test stack with stand-in workflows, API, function and queue: each alarm
// reads the metric (name, namespace, dimensions) the runtime writes, at its threshold, and notifies the topic.
import { readFileSync } from "node:fs";
import { App, type CfnElement, Duration, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { AwsSolutionsChecks, HIPAASecurityChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { RECONCILIATION_FINDING_CATEGORIES } from "../../contracts/metric-names.js";
import { EncryptionKey } from "../../lib/encryption-key.js";
import {
  ALARM_RUNBOOK_ANCHORS,
  OperationsAlarms,
  type OperationsAlarmsProps,
  RUNBOOK_PATH,
} from "../../lib/operations-alarms.js";

const SERVICE = { Name: "service", Value: "practice-onboarding" };

interface Built {
  stack: Stack;
  template: Template;
  alarms: Record<string, { Properties: Record<string, unknown> }>;
  ids: Record<
    "key" | "topic" | "onboarding" | "offboarding" | "api" | "fn" | "queue" | "releaseQueue",
    string
  >;
}

type Options = Partial<Omit<OperationsAlarmsProps, "encryptionKey">> & { withoutOptionalParts?: boolean };

function build(options: Options = {}): Built {
  const { withoutOptionalParts, ...overrides } = options;
  const app = new App();
  const stack = new Stack(app, "OpsTest", { env: { account: "123456789012", region: "us-east-1" } });
  const key = new kms.Key(stack, "Key", { enableKeyRotation: true });
  const workflow = (id: string) =>
    new sfn.StateMachine(stack, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, `${id}Done`)),
    });
  const onboarding = workflow("Onboarding");
  const offboarding = workflow("Offboarding");
  const api = new apigwv2.HttpApi(stack, "WebhookApi");
  const fn = new lambda.Function(stack, "WebhookFunction", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("export const handler = async () => {};"),
  });
  const queue = new sqs.Queue(stack, "SchedulerDlq", { encryptionMasterKey: key });
  const releaseQueue = new sqs.Queue(stack, "ClaimReleaseDlq", { encryptionMasterKey: key });
  const ops = new OperationsAlarms(stack, "Ops", {
    encryptionKey: key,
    stateMachines: [
      { name: "Onboarding", stateMachine: onboarding },
      { name: "Offboarding", stateMachine: offboarding },
    ],
    ...(withoutOptionalParts
      ? {}
      : {
          webhookApi: api,
          webhookFunction: fn,
          schedulerDeadLetterQueue: queue,
          claimReleaseDeadLetterQueue: releaseQueue,
          alarmEmail: "oncall@example.com",
        }),
    ...overrides,
  });
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const template = Template.fromStack(stack);
  const alarms = Object.fromEntries(
    ops.alarms.map((alarm) => [alarm.node.id, template.toJSON().Resources[logicalId(alarm)]]),
  );
  return {
    stack,
    template,
    alarms,
    ids: {
      key: logicalId(key),
      topic: logicalId(ops.topic),
      onboarding: logicalId(onboarding),
      offboarding: logicalId(offboarding),
      api: logicalId(api),
      fn: logicalId(fn),
      queue: logicalId(queue),
      releaseQueue: logicalId(releaseQueue),
    },
  };
}

/** The alarm's metric and condition, without its description and actions. */
function condition(alarm: { Properties: Record<string, unknown> }) {
  const { AlarmDescription: _d, AlarmActions: _a, OKActions: _o, ...rest } = alarm.Properties;
  return rest;
}

const everyPeriod = { EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: "notBreaching" };

describe("OperationsAlarms", () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  it("creates the alarms of each workflow and of each concern, and no others", () => {
    expect(Object.keys(built.alarms).sort()).toEqual(
      [
        "OnboardingExecutionsFailed",
        "OnboardingExecutionsTimedOut",
        "OnboardingExecutionsAborted",
        "OffboardingExecutionsFailed",
        "OffboardingExecutionsTimedOut",
        "OffboardingExecutionsAborted",
        "PortalUnauthorized",
        "PortalThrottled",
        "Webhook5xx",
        "WebhookSignatureRejections",
        "ReconciliationFindings",
        "KeysNotInstalled",
        "SchedulerDeadLetters",
        "ClaimReleaseDeadLetters",
        "DomainEventPublishFailed",
      ].sort(),
    );
  });

  it("alarms on one failed, timed-out or aborted execution per workflow in 5 minutes", () => {
    for (const [workflow, metricName] of [
      ["Onboarding", "ExecutionsFailed"],
      ["Onboarding", "ExecutionsTimedOut"],
      ["Onboarding", "ExecutionsAborted"],
      ["Offboarding", "ExecutionsFailed"],
    ] as const) {
      const stateMachine = workflow === "Onboarding" ? built.ids.onboarding : built.ids.offboarding;
      expect(condition(built.alarms[`${workflow}${metricName}`]!)).toEqual({
        Namespace: "AWS/States",
        MetricName: metricName,
        Dimensions: [{ Name: "StateMachineArn", Value: { Ref: stateMachine } }],
        Statistic: "Sum",
        Period: 300,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 1,
        ...everyPeriod,
      });
    }
  });

  it("alarms on the first request the portal refuses for the credentials for good", () => {
    expect(condition(built.alarms.PortalUnauthorized!)).toEqual({
      Namespace: "PracticeOnboarding",
      MetricName: "PortalCredentialsRejected",
      Dimensions: [SERVICE],
      Statistic: "Sum",
      Period: 300,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      ...everyPeriod,
    });
  });

  it("alarms when the portal throttles more than 5 requests in each of 3 consecutive periods", () => {
    expect(condition(built.alarms.PortalThrottled!)).toEqual({
      Namespace: "PracticeOnboarding",
      MetricName: "PortalCalls",
      Dimensions: [{ Name: "Outcome", Value: "PortalThrottled" }, SERVICE],
      Statistic: "Sum",
      Period: 300,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: "notBreaching",
    });
  });

  it("alarms on the worst of the handler's 5xx, the API's 5xx and the function's errors", () => {
    const alarm = condition(built.alarms.Webhook5xx!);

    expect(alarm).toMatchObject({
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      ...everyPeriod,
    });
    expect(alarm.Metrics).toEqual([
      {
        Id: "expr_1",
        Expression: "MAX([FILL(handler5xx, 0), FILL(api5xx, 0), FILL(fnErrors, 0)])",
        Label: "Webhook 5xx",
        ReturnData: true,
      },
      {
        Id: "handler5xx",
        MetricStat: {
          Metric: { Namespace: "PracticeOnboarding", MetricName: "Webhook5xx", Dimensions: [SERVICE] },
          Period: 300,
          Stat: "Sum",
        },
        ReturnData: false,
      },
      {
        Id: "api5xx",
        MetricStat: {
          Metric: {
            Namespace: "AWS/ApiGateway",
            MetricName: "5xx",
            Dimensions: [{ Name: "ApiId", Value: { Ref: built.ids.api } }],
          },
          Period: 300,
          Stat: "Sum",
        },
        ReturnData: false,
      },
      {
        Id: "fnErrors",
        MetricStat: {
          Metric: {
            Namespace: "AWS/Lambda",
            MetricName: "Errors",
            Dimensions: [{ Name: "FunctionName", Value: { Ref: built.ids.fn } }],
          },
          Period: 300,
          Stat: "Sum",
        },
        ReturnData: false,
      },
    ]);
  });

  it("alarms on the handler's Webhook5xx alone when no API or function is given", () => {
    const { alarms } = build({ withoutOptionalParts: true });

    expect(condition(alarms.Webhook5xx!)).toMatchObject({
      Namespace: "PracticeOnboarding",
      MetricName: "Webhook5xx",
      Dimensions: [SERVICE],
    });
  });

  it("alarms on 10 signature rejections in 5 minutes", () => {
    expect(condition(built.alarms.WebhookSignatureRejections!)).toEqual({
      Namespace: "PracticeOnboarding",
      MetricName: "WebhookRejected",
      Dimensions: [{ Name: "reason", Value: "InvalidSignature" }, SERVICE],
      Statistic: "Sum",
      Period: 300,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 10,
      ...everyPeriod,
    });
  });

  it("alarms when a reconciliation run reports a finding that needs a person", () => {
    expect(condition(built.alarms.ReconciliationFindings!)).toEqual({
      Namespace: "PracticeOnboarding",
      MetricName: "ReconciliationFindingsNeedingAttention",
      Dimensions: [SERVICE],
      Statistic: "Maximum",
      Period: 3600,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      ...everyPeriod,
    });
  });

  it("alarms when a reconciliation run counts an enabled key not installed after its N days (billed for nothing)", () => {
    expect(condition(built.alarms.KeysNotInstalled!)).toEqual({
      Namespace: "PracticeOnboarding",
      MetricName: "KeysEnabledNotInstalled",
      Dimensions: [SERVICE],
      Statistic: "Maximum",
      Period: 3600,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      ...everyPeriod,
    });
  });

  it("alarms as soon as the scheduler's dead-letter queue holds a message", () => {
    expect(condition(built.alarms.SchedulerDeadLetters!)).toEqual({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [built.ids.queue, "QueueName"] } }],
      Statistic: "Maximum",
      Period: 300,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      ...everyPeriod,
    });
  });

  it("has no dead-letter alarm without a queue", () => {
    expect(build({ withoutOptionalParts: true }).alarms.SchedulerDeadLetters).toBeUndefined();
  });

  it("alarms as soon as the claim release's dead-letter queue holds a message", () => {
    expect(condition(built.alarms.ClaimReleaseDeadLetters!)).toEqual({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [built.ids.releaseQueue, "QueueName"] } }],
      Statistic: "Maximum",
      Period: 300,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      ...everyPeriod,
    });
  });

  it("has no claim release alarm without its queue", () => {
    expect(build({ withoutOptionalParts: true }).alarms.ClaimReleaseDeadLetters).toBeUndefined();
  });

  it("alarms on a domain event that was not published", () => {
    expect(condition(built.alarms.DomainEventPublishFailed!)).toEqual({
      Namespace: "PracticeOnboarding",
      MetricName: "DomainEventPublishFailed",
      Dimensions: [SERVICE],
      Statistic: "Sum",
      Period: 300,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Threshold: 1,
      ...everyPeriod,
    });
  });

  it("uses the thresholds and periods given", () => {
    const { alarms } = build({
      thresholds: { portalThrottledPerPeriod: 20, portalThrottledPeriods: 6, webhookInvalidSignatures: 3 },
      period: Duration.minutes(1),
      reconciliationPeriod: Duration.days(1),
    });

    expect(condition(alarms.PortalThrottled!)).toMatchObject({
      Threshold: 20,
      EvaluationPeriods: 6,
      DatapointsToAlarm: 6,
      Period: 60,
    });
    expect(condition(alarms.WebhookSignatureRejections!)).toMatchObject({ Threshold: 3, Period: 60 });
    expect(condition(alarms.ReconciliationFindings!)).toMatchObject({ Period: 86400 });
    expect(alarms.WebhookSignatureRejections!.Properties.AlarmDescription).toBe(
      "Runbook: docs/runbook.md#alarm-webhook-signature-rejections — 3 or more webhook deliveries rejected for an invalid signature in 1 min.",
    );
  });

  it("notifies the topic when each alarm fires and when it recovers", () => {
    for (const alarm of Object.values(built.alarms)) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: built.ids.topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: built.ids.topic }]);
    }
  });

  it("starts each alarm description with a runbook anchor that docs/runbook.md defines", () => {
    const runbook = readFileSync(new URL(`../../${RUNBOOK_PATH}`, import.meta.url), "utf8");
    const anchors = new Set(Object.values(ALARM_RUNBOOK_ANCHORS));
    for (const [id, alarm] of Object.entries(built.alarms)) {
      const match = /^Runbook: docs\/runbook\.md#([a-z0-9-]+) — \S/.exec(
        String(alarm.Properties.AlarmDescription),
      );
      expect(match, id).not.toBeNull();
      expect(anchors.has(match![1]! as never), id).toBe(true);
    }
    for (const anchor of anchors) expect(runbook).toContain(`<a id="${anchor}"></a>`);
  });

  it("encrypts the topic with the key and refuses publishing without TLS", () => {
    const { template, ids } = built;
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: { "Fn::GetAtt": [ids.key, "Arn"] } });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: [
          {
            Sid: "AllowPublishThroughSSLOnly",
            Action: "sns:Publish",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
            Effect: "Deny",
            Principal: "*",
            Resource: { Ref: ids.topic },
          },
          {
            Sid: "CloudWatchAlarmsOfThisAccountPublish",
            Action: "sns:Publish",
            Condition: {
              StringEquals: { "aws:SourceAccount": "123456789012" },
              ArnLike: {
                "aws:SourceArn": {
                  "Fn::Join": [
                    "",
                    ["arn:", { Ref: "AWS::Partition" }, ":cloudwatch:us-east-1:123456789012:alarm:*"],
                  ],
                },
              },
            },
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Resource: { Ref: ids.topic },
          },
        ],
      },
    });
  });

  it("subscribes the alarm email when one is given", () => {
    built.template.resourceCountIs("AWS::SNS::Subscription", 1);
    built.template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
      TopicArn: { Ref: built.ids.topic },
    });
  });

  it("subscribes nobody without an alarm email", () => {
    build({ withoutOptionalParts: true }).template.resourceCountIs("AWS::SNS::Subscription", 0);
  });
});

/** The dashboard body with tokens replaced by "<token>", parsed. */
function dashboardBody(template: Template): { widgets: { properties: Record<string, unknown> }[] } {
  const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
  const body = dashboard!.Properties.DashboardBody as string | { "Fn::Join": [string, unknown[]] };
  const text =
    typeof body === "string"
      ? body
      : body["Fn::Join"][1].map((part) => (typeof part === "string" ? part : "<token>")).join("");
  return JSON.parse(text);
}

describe("OperationsAlarms dashboard", () => {
  let widgets: { title?: string; metrics: unknown[][] }[];
  beforeAll(() => {
    widgets = dashboardBody(build().template).widgets.map(({ properties }) => ({
      title: properties.title as string | undefined,
      metrics: (properties.metrics as unknown[][] | undefined) ?? [],
    }));
  });

  function widget(title: string) {
    const found = widgets.find((candidate) => candidate.title === title);
    if (!found) throw new Error(`no widget "${title}" in ${widgets.map((w) => w.title).join(", ")}`);
    return found;
  }

  it("shows started, succeeded, failed, timed-out and aborted executions of each workflow", () => {
    for (const name of ["Onboarding", "Offboarding"]) {
      expect(widget(`${name} executions`).metrics.map((metric) => metric[1])).toEqual([
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
      ]);
    }
  });

  it("shows portal latency p50 and p90", () => {
    expect(widget("Portal latency (ms)").metrics).toEqual([
      [
        "PracticeOnboarding",
        "PortalCallLatency",
        "service",
        "practice-onboarding",
        { label: "p50", stat: "p50" },
      ],
      [
        "PracticeOnboarding",
        "PortalCallLatency",
        "service",
        "practice-onboarding",
        { label: "p90", stat: "p90" },
      ],
    ]);
  });

  it("shows portal calls by every known outcome and credentials rejections", () => {
    expect(widget("Portal calls by outcome").metrics.map((metric) => [metric[1], metric[3]])).toEqual([
      ["PortalCalls", "ok"],
      ["PortalCalls", "PortalUnauthorized"],
      ["PortalCalls", "PortalThrottled"],
      ["PortalCalls", "PortalUnavailable"],
      ["PortalCalls", "PortalRejected"],
      ["PortalCalls", "PortalNotFound"],
      ["PortalCalls", "PortalResponseInvalid"],
      ["PortalCredentialsRejected", "practice-onboarding"],
    ]);
  });

  it("shows portal calls by HTTP status with a search over the Status dimension", () => {
    expect(widget("Portal calls by HTTP status").metrics).toEqual([
      [
        {
          expression: `SEARCH('{PracticeOnboarding,service,Status} MetricName="PortalCalls"', 'Sum', 300)`,
        },
      ],
    ]);
  });

  it("shows findings of every category", () => {
    expect(
      widget("Reconciliation findings by category").metrics.map((metric) => [
        metric[1],
        metric[2],
        metric[3],
      ]),
    ).toEqual(
      RECONCILIATION_FINDING_CATEGORIES.map((category) => ["ReconciliationFindings", "Category", category]),
    );
  });

  it("shows webhook deliveries accepted and rejected", () => {
    expect(widget("Webhook deliveries").metrics.map((metric) => metric[1])).toEqual([
      "WebhookAccepted",
      "WebhookDuplicate",
      "WebhookIgnored",
      "Webhook5xx",
    ]);
    expect(widget("Webhook rejections by reason").metrics).toEqual([
      [
        {
          expression: `SEARCH('{PracticeOnboarding,service,reason} MetricName="WebhookRejected"', 'Sum', 300)`,
        },
      ],
      [
        "PracticeOnboarding",
        "WebhookRejected",
        "reason",
        "InvalidSignature",
        "service",
        "practice-onboarding",
        { label: "InvalidSignature", stat: "Sum" },
      ],
    ]);
  });

  it("shows the alarms' states", () => {
    expect(widgets[0]!.title).toBe("Alarms");
  });
});

describe("OperationsAlarms under cdk-nag", () => {
  it("has no unacknowledged AwsSolutions or HIPAA findings of its own", () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
    const stack = new Stack(app, "OpsNag", { env: { account: "123456789012", region: "us-east-1" } });
    const { key } = new EncryptionKey(stack, "Encryption");
    const stateMachine = new sfn.StateMachine(stack, "Onboarding", {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, "Done")),
    });
    const queue = new sqs.Queue(stack, "SchedulerDlq", { encryptionMasterKey: key, enforceSSL: true });
    // Findings of the stand-ins belong to their owners (the workflow and schedule constructs).
    for (const [scope, rule] of [
      [stateMachine, "AwsSolutions::AwsSolutions-SF1"],
      [stateMachine, "AwsSolutions::AwsSolutions-SF2"],
      [stateMachine, "HIPAA.Security::HIPAA.Security-StepFunctionStateMachineLogging"],
      [queue, "AwsSolutions::AwsSolutions-SQS3"],
    ] as const) {
      Validations.of(scope).acknowledge({ id: rule, reason: "Test stand-in, not under test." });
    }

    new OperationsAlarms(stack, "Ops", {
      encryptionKey: key,
      stateMachines: [{ name: "Onboarding", stateMachine }],
      schedulerDeadLetterQueue: queue,
      alarmEmail: "oncall@example.com",
    });

    expect(() => app.synth()).not.toThrow();
  });
});

describe("OperationsAlarms topic key", () => {
  it("is the EncryptionKey, which lets CloudWatch alarms use it", () => {
    const app = new App();
    const stack = new Stack(app, "OpsKey", { env: { account: "123456789012", region: "us-east-1" } });
    const { key } = new EncryptionKey(stack, "Encryption");
    new OperationsAlarms(stack, "Ops", { encryptionKey: key });

    Template.fromStack(stack).hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          }),
        ]),
      },
    });
  });
});
