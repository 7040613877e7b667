// The webhook API construct in a test stack with a stand-in state machine: route, throttling, concurrency,
// least-privilege IAM (fails if widened), logging, and the bundle CDK actually builds for the function.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { App, type CfnElement, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { CRM_WEBHOOK_PATH, WebhookApi, type WebhookApiProps } from "../../lib/webhook-api.js";

interface Built {
  app: App;
  stack: Stack;
  template: Template;
  ids: { stateMachine: string; secret: string; key: string; role: string; fn: string; accessLogs: string };
}

function build(overrides: Partial<WebhookApiProps> = {}, bundle = false): Built {
  // Tests skip esbuild (vitest.config.ts); the bundle test asks for the real bundle.
  const app = new App(bundle ? { postCliContext: { "aws:cdk:bundling-stacks": ["**"] } } : {});
  const stack = new Stack(app, "WebhookTest", { env: { account: "123456789012", region: "us-east-1" } });
  const key = new kms.Key(stack, "Key");
  const stateMachine = new sfn.StateMachine(stack, "Onboarding", {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, "Done")),
  });
  const secret = new secretsmanager.Secret(stack, "WebhookSigning", { encryptionKey: key });
  const webhook = new WebhookApi(stack, "Webhook", {
    onboardingStateMachine: stateMachine,
    webhookSecret: secret,
    encryptionKey: key,
    ...overrides,
  });
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return {
    app,
    stack,
    template: Template.fromStack(stack),
    ids: {
      stateMachine: logicalId(stateMachine),
      secret: logicalId(secret),
      key: logicalId(key),
      role: logicalId(webhook.function.role!),
      fn: logicalId(webhook.function),
      accessLogs: logicalId(webhook.accessLogs),
    },
  };
}

describe("WebhookApi", () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });

  it("routes POST /webhooks/crm, unauthenticated at the gateway, to the function with payload v2", () => {
    const { template, ids } = built;
    expect(CRM_WEBHOOK_PATH).toBe("/webhooks/crm");
    template.resourceCountIs("AWS::ApiGatewayV2::Api", 1);
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", { ProtocolType: "HTTP" });
    const routes = template.findResources("AWS::ApiGatewayV2::Route");
    expect(Object.values(routes).map((route) => route.Properties.RouteKey)).toEqual(["POST /webhooks/crm"]);
    expect(Object.values(routes)[0]!.Properties.AuthorizationType).toBe("NONE");
    template.hasResourceProperties("AWS::ApiGatewayV2::Integration", {
      IntegrationType: "AWS_PROXY",
      IntegrationUri: { "Fn::GetAtt": [ids.fn, "Arn"] },
      PayloadFormatVersion: "2.0",
    });
  });

  it("lets only that route invoke the function", () => {
    built.template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "apigateway.amazonaws.com",
      SourceArn: { "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp("/\\*/\\*/webhooks/crm$")])] },
    });
    built.template.resourceCountIs("AWS::Lambda::Permission", 1);
  });

  it("throttles the $default stage at 20 requests/s with bursts of 40 by default", () => {
    built.template.resourceCountIs("AWS::ApiGatewayV2::Stage", 1);
    built.template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it("uses the throttle given", () => {
    build({ throttle: { rateLimit: 5, burstLimit: 7 } }).template.hasResourceProperties(
      "AWS::ApiGatewayV2::Stage",
      { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 7 } },
    );
  });

  it("reserves 10 concurrent executions for the function by default", () => {
    built.template.hasResourceProperties("AWS::Lambda::Function", { ReservedConcurrentExecutions: 10 });
  });

  it("uses the reserved concurrency given", () => {
    build({ reservedConcurrency: 3 }).template.hasResourceProperties("AWS::Lambda::Function", {
      ReservedConcurrentExecutions: 3,
    });
  });

  it("configures the function with the state machine and secret ARNs and a 10 s timeout", () => {
    const { template, ids } = built;
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs22.x",
      Timeout: 10,
      Environment: {
        Variables: Match.objectLike({
          ONBOARDING_STATE_MACHINE_ARN: { Ref: ids.stateMachine },
          WEBHOOK_SECRET_ARN: { Ref: ids.secret },
        }),
      },
    });
    expect(template.toJSON().Resources[ids.fn].Metadata["practice-onboarding:entry"]).toBe(
      "functions/webhook/crm-webhook.ts",
    );
  });

  it("grants exactly StartExecution on the state machine, DescribeExecution on its executions and read on the secret", () => {
    const { template, ids } = built;
    const policies = Object.values(template.findResources("AWS::IAM::Policy"));
    expect(policies.map((policy) => policy.Properties.Roles)).toEqual([[{ Ref: ids.role }]]);
    expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
      // From tracing (HandlerFunction): X-Ray takes no resource-level permissions.
      { Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Effect: "Allow", Resource: "*" },
      { Action: "states:StartExecution", Effect: "Allow", Resource: { Ref: ids.stateMachine } },
      {
        Action: "states:DescribeExecution",
        Effect: "Allow",
        Resource: {
          "Fn::Join": [
            "",
            [
              "arn:",
              { Ref: "AWS::Partition" },
              ":states:us-east-1:123456789012:execution:",
              { "Fn::Select": [6, { "Fn::Split": [":", { Ref: ids.stateMachine }] }] },
              ":*",
            ],
          ],
        },
      },
      {
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Effect: "Allow",
        Resource: { Ref: ids.secret },
      },
    ]);
    template.hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: [
        {
          "Fn::Join": [
            "",
            ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
          ],
        },
      ],
    });
  });

  it("with the practice table, may read one practice record's status and transition times, and nothing else of it", () => {
    const app = new App();
    const stack = new Stack(app, "WebhookTableTest", {
      env: { account: "123456789012", region: "us-east-1" },
    });
    const key = new kms.Key(stack, "Key");
    const table = new dynamodb.Table(stack, "Table", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
    });
    const webhook = new WebhookApi(stack, "Webhook", {
      onboardingStateMachine: new sfn.StateMachine(stack, "Onboarding", {
        definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, "Done")),
      }),
      webhookSecret: new secretsmanager.Secret(stack, "WebhookSigning", { encryptionKey: key }),
      encryptionKey: key,
      table,
    });
    const template = Template.fromStack(stack);
    const id = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown }[],
    );

    // The ordering rule's one read (docs/events.md): projected, so the key attribute can never be read.
    expect(statements.filter((statement) => String(statement.Action).startsWith("dynamodb:"))).toEqual([
      {
        Action: "dynamodb:GetItem",
        Effect: "Allow",
        Resource: { "Fn::GetAtt": [id(table), "Arn"] },
        Condition: {
          "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["PRACTICE#*"] },
          "ForAllValues:StringEquals": {
            "dynamodb:Attributes": [
              "pk",
              "sk",
              "status",
              "lastTransitionAt",
              "activatedAt",
              "failedAt",
              "offboardedAt",
            ],
          },
          StringEqualsIfExists: { "dynamodb:Select": "SPECIFIC_ATTRIBUTES" },
        },
      },
    ]);
    expect(statements.filter((statement) => String(statement.Action) === "kms:Decrypt")).toEqual([
      {
        Action: "kms:Decrypt",
        Effect: "Allow",
        Resource: { "Fn::GetAtt": [id(key), "Arn"] },
        Condition: { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } },
      },
    ]);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ TABLE_NAME: { Ref: id(table) } }) },
    });
    expect(webhook.function).toBeDefined();
  });

  it("lets the function decrypt the secret's key only through Secrets Manager", () => {
    const { template, ids } = built;
    const keyPolicy = template.toJSON().Resources[ids.key].Properties.KeyPolicy.Statement as {
      Action: string | string[];
      Principal: { AWS?: unknown };
      Condition?: Record<string, Record<string, unknown>>;
    }[];
    const forFunction = keyPolicy.filter(
      (statement) =>
        JSON.stringify(statement.Principal.AWS) === JSON.stringify({ "Fn::GetAtt": [ids.role, "Arn"] }),
    );
    expect(forFunction).toHaveLength(1);
    expect(forFunction[0]!.Action).toBe("kms:Decrypt");
    expect(forFunction[0]!.Condition?.StringEquals?.["kms:ViaService"]).toBe(
      "secretsmanager.us-east-1.amazonaws.com",
    );
  });

  it("keeps function and access logs for three months in log groups encrypted with the key", () => {
    const { template, ids } = built;
    const groups = Object.values(template.findResources("AWS::Logs::LogGroup"));
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      expect(group.Properties).toEqual({ KmsKeyId: { "Fn::GetAtt": [ids.key, "Arn"] }, RetentionInDays: 90 });
      expect(group.DeletionPolicy).toBe("Retain");
    }
  });

  it("uses the access log retention given", () => {
    build({ accessLogRetention: logs.RetentionDays.ONE_YEAR }).template.hasResourceProperties(
      "AWS::Logs::LogGroup",
      {
        RetentionInDays: 365,
      },
    );
  });

  it("writes JSON access logs with the request id and status and no headers", () => {
    const { template, ids } = built;
    const stage = Object.values(template.findResources("AWS::ApiGatewayV2::Stage"))[0]!;
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({
      "Fn::GetAtt": [ids.accessLogs, "Arn"],
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
    expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/header|signature/i);
  });
});

describe("crm-webhook bundle", () => {
  it("is the ESM bundle CDK builds, loads from a file on Node 22, and fails cold start naming a missing variable", async () => {
    const { app, template, ids } = build({}, true);
    const assembly = app.synth();
    const s3Key: string = template.toJSON().Resources[ids.fn].Properties.Code.S3Key;
    const bundle = path.join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, "")}`, "index.mjs");

    const run = promisify(execFile)(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import(${JSON.stringify(bundle)}).then(() => console.log("loaded"), (e) => console.log(e.name + ": " + e.message))`,
      ],
      { env: { PATH: process.env.PATH, AWS_REGION: "us-east-1" } },
    );

    expect((await run).stdout.trim()).toBe(
      "ConfigurationError: Environment variable ONBOARDING_STATE_MACHINE_ARN is not set",
    );
  });
});

describe("WebhookApi under cdk-nag", () => {
  it("has no unacknowledged AwsSolutions findings of its own", () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, "WebhookNag", { env: { account: "123456789012", region: "us-east-1" } });
    const key = new kms.Key(stack, "Key", { enableKeyRotation: true });
    const stateMachine = new sfn.StateMachine(stack, "Onboarding", {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, "Done")),
    });
    const secret = new secretsmanager.Secret(stack, "WebhookSigning", { encryptionKey: key });
    // Findings of the stand-ins and of HandlerFunction (every function shares them) belong to their owners.
    for (const [scope, id] of [
      [stateMachine, "AwsSolutions-SF1"],
      [stateMachine, "AwsSolutions-SF2"],
      [secret, "AwsSolutions-SMG4"],
    ] as const) {
      Validations.of(scope).acknowledge({
        id: `AwsSolutions::${id}`,
        reason: "Test stand-in, not under test.",
      });
    }
    const webhook = new WebhookApi(stack, "Webhook", {
      onboardingStateMachine: stateMachine,
      webhookSecret: secret,
      encryptionKey: key,
    });
    for (const id of [
      "AwsSolutions-L1",
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    ]) {
      Validations.of(webhook.function).acknowledge({
        id: `AwsSolutions::${id}`,
        reason: "Owned by HandlerFunction.",
      });
    }

    expect(() => app.synth()).not.toThrow();
  });
});
