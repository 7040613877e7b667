import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { PK, PRACTICE_TRANSITION_ATTRIBUTES, SK } from "../contracts/table-schema.js";
import { HandlerFunction } from "./handler-function.js";
import { acknowledgeWildcardResource } from "./nag-acknowledgments.js";

/** The route the CRM posts to. */
export const CRM_WEBHOOK_PATH = "/webhooks/crm";

export interface WebhookThrottle {
  /** Steady-state requests per second across the stage. @default 20 */
  readonly rateLimit?: number;
  /** Requests allowed in a burst. @default 40 */
  readonly burstLimit?: number;
}

export interface WebhookApiProps {
  /** The onboarding workflow each accepted delivery starts. */
  readonly onboardingStateMachine: sfn.IStateMachine;
  /** Secret holding `{"secrets": ["whsec_…", …]}` (newest first) or one bare `whsec_…` string. */
  readonly webhookSecret: secretsmanager.ISecret;
  /** Key that encrypts the function's and the access logs' log groups. */
  readonly encryptionKey: kms.IKey;
  /** Stage throttling; the CRM retries a 429 like any other non-2xx. @default 20 requests/s, bursts of 40 */
  readonly throttle?: WebhookThrottle;
  /** Reserved concurrency of the function, so a flood cannot starve the workflows' functions. @default 10 */
  readonly reservedConcurrency?: number;
  /** Retention of the access logs. @default three months */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * The practice table, read (status and transition times only) to answer a stale request "stale" at once.
   * @default none: stale requests are answered "accepted" and their executions still end Stale
   */
  readonly table?: dynamodb.ITable;
}

/**
 * `POST /webhooks/crm` on an HTTP API: a throttled `$default` stage with JSON access logs, and a function with
 * reserved concurrency that may only start onboarding executions, look them up, and read the signing secret.
 */
export class WebhookApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly function: lambda.IFunction;
  readonly accessLogs: logs.LogGroup;
  /** Base URL of the stage, ending in `/`; the webhook is at `${url}webhooks/crm`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const handler = new HandlerFunction(this, "Handler", {
      entry: "functions/webhook/crm-webhook.ts",
      description: "Verifies CRM webhooks (Standard Webhooks) and starts one onboarding per delivery",
      // HTTP APIs give up on an integration after 30 s; the work here is two small AWS calls.
      timeout: Duration.seconds(10),
      encryptionKey: props.encryptionKey,
      reservedConcurrentExecutions: props.reservedConcurrency ?? 10,
      environment: {
        ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn,
        WEBHOOK_SECRET_ARN: props.webhookSecret.secretArn,
        ...(props.table ? { TABLE_NAME: props.table.tableName } : {}),
      },
    });
    this.function = handler.function;
    props.onboardingStateMachine.grantStartExecution(handler.function);
    // Executions are named per delivery at run time, so the lookup covers this state machine's executions.
    const executionsArn = Stack.of(this).formatArn({
      service: "states",
      resource: "execution",
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${Arn.split(props.onboardingStateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
    });
    iam.Grant.addToPrincipal({
      grantee: handler.function,
      actions: ["states:DescribeExecution"],
      resourceArns: [executionsArn],
    });
    props.webhookSecret.grantRead(handler.function);
    if (props.table) {
      // One GetItem of a practice record, projected to its status and transition times (never the key): the
      // documented fine-grained pattern, dynamodb:Attributes plus dynamodb:Select.
      handler.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["dynamodb:GetItem"],
          resources: [props.table.tableArn],
          conditions: {
            "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["PRACTICE#*"] },
            "ForAllValues:StringEquals": {
              "dynamodb:Attributes": [PK, SK, ...PRACTICE_TRANSITION_ATTRIBUTES],
            },
            StringEqualsIfExists: { "dynamodb:Select": "SPECIFIC_ATTRIBUTES" },
          },
        }),
      );
      // The items are encrypted with the customer-managed key: reading one needs Decrypt, through DynamoDB only.
      if (props.table.encryptionKey) {
        handler.function.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ["kms:Decrypt"],
            resources: [props.table.encryptionKey.keyArn],
            conditions: {
              StringEquals: { "kms:ViaService": `dynamodb.${Stack.of(this).region}.amazonaws.com` },
            },
          }),
        );
      }
    }
    acknowledgeWildcardResource(
      handler.function,
      executionsArn,
      "DescribeExecution tells a redelivered webhook from a new one; execution names are only known at run time.",
    );

    this.api = new apigwv2.HttpApi(this, "Api", {
      description: "Receives CRM webhooks that start practice onboarding",
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, "AccessLogs", {
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = new apigwv2.HttpStage(this, "DefaultStage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.throttle?.rateLimit ?? 20, burstLimit: props.throttle?.burstLimit ?? 40 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        // No headers: the webhook-signature must not land in logs.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            requestTime: "$context.requestTime",
            sourceIp: "$context.identity.sourceIp",
            routeKey: "$context.routeKey",
            status: "$context.status",
            responseLength: "$context.responseLength",
            latencyMs: "$context.responseLatency",
            integrationStatus: "$context.integrationStatus",
            integrationError: "$context.integrationErrorMessage",
            error: "$context.error.message",
          }),
        ),
      },
    });
    this.api.addRoutes({
      path: CRM_WEBHOOK_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration("CrmWebhook", handler.function),
    });
    Validations.of(this.api).acknowledge({
      id: "AwsSolutions::AwsSolutions-APIG4",
      reason:
        "The CRM authenticates each request with a Standard Webhooks HMAC signature that the function verifies; API Gateway has no authorizer for that scheme.",
    });
    this.url = this.stage.url;
  }
}
