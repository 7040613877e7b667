import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { HandlerFunction, PROJECT_ROOT } from "./handler-function.js";
import { acknowledgeWildcardResource } from "./nag-acknowledgments.js";
import type { OffboardingRequestWorkflow } from "./offboarding-request-workflow.js";

/** The provider routes. Salesforce's token is in the path: the access log names the route key, never the path. */
export const HUBSPOT_WEBHOOK_PATH = "/webhooks/hubspot";
export const SALESFORCE_WEBHOOK_PATH = "/webhooks/salesforce/{token}";
/** The mapping the app reads unless context `crmMappingFile` names another. */
export const DEFAULT_CRM_MAPPING_FILE = "config/crm-mapping.json";

/**
 * Reads the mapping file as compact JSON for the CRM_MAPPING variable. Only the JSON syntax is checked here (lib/
 * may not import the functions' schema); bin/app.ts and the local stack validate it fully before synth, and the
 * function again at cold start (functions/webhook/providers/crm-mapping.ts).
 */
export function readCrmMappingText(file: string): string {
  const absolute = path.resolve(PROJECT_ROOT, file);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (error) {
    throw new Error(
      `CRM mapping ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new Error(`CRM mapping ${file} is not valid JSON (${(error as Error).message})`);
  }
}

export interface CrmProviderRoutesProps {
  readonly api: apigwv2.IHttpApi;
  readonly onboardingStateMachine: sfn.IStateMachine;
  readonly offboardingRequests: OffboardingRequestWorkflow;
  /** The validated mapping as JSON text (readCrmMappingText). */
  readonly crmMapping: string;
  readonly encryptionKey: kms.IKey;
  /** Existing secret holding the client secrets and path tokens. @default a new secret */
  readonly providerSecretName?: string;
  /** @default 10 */
  readonly reservedConcurrency?: number;
}

/**
 * `POST /webhooks/hubspot` and `POST /webhooks/salesforce/{token}`: one function that verifies each provider's
 * deliveries, maps them and starts onboardings and offboarding requests (or stops pending requests). It may
 * start, look up and stop exactly those executions, and read its one secret.
 */
export class CrmProviderRoutes extends Construct {
  readonly function: lambda.IFunction;
  readonly providerSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: CrmProviderRoutesProps) {
    super(scope, id);
    this.providerSecret = props.providerSecretName
      ? secretsmanager.Secret.fromSecretNameV2(this, "ProviderSecret", props.providerSecretName)
      : new secretsmanager.Secret(this, "ProviderSecret", {
          secretName: "practice-onboarding/crm-providers",
          description:
            'CRM provider secrets: {"hubspotClientSecrets":["…"],"salesforcePathTokens":["…"]}, newest first, two during a rotation',
          encryptionKey: props.encryptionKey,
          removalPolicy: RemovalPolicy.RETAIN,
        });
    if (!props.providerSecretName) {
      for (const rule of [
        "AwsSolutions::AwsSolutions-SMG4",
        "HIPAA.Security::HIPAA.Security-SecretsManagerRotationEnabled",
      ]) {
        Validations.of(this.providerSecret).acknowledge({
          id: rule,
          reason:
            "HubSpot issues the client secret and Salesforce must be given each new path token, so both are rotated by hand (two accepted while the sender switches).",
        });
      }
    }
    const requests = props.offboardingRequests.stateMachine;
    const handler = new HandlerFunction(this, "Handler", {
      entry: "functions/webhook/provider-webhook.ts",
      description:
        "Verifies HubSpot and Salesforce deliveries and starts onboardings or offboarding requests",
      timeout: Duration.seconds(20),
      encryptionKey: props.encryptionKey,
      reservedConcurrentExecutions: props.reservedConcurrency ?? 10,
      environment: {
        CRM_MAPPING: props.crmMapping,
        CRM_PROVIDER_SECRET_ARN: this.providerSecret.secretArn,
        ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn,
        OFFBOARDING_REQUEST_STATE_MACHINE_ARN: requests.stateMachineArn,
        OFFBOARDING_GRACE_SECONDS: String(props.offboardingRequests.gracePeriod.toSeconds()),
        OFFBOARDING_REQUIRES_APPROVAL: String(props.offboardingRequests.requiresApproval),
      },
    });
    const fn = handler.function;
    this.function = fn;
    props.onboardingStateMachine.grantStartExecution(fn);
    requests.grantStartExecution(fn);
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ["states:ListExecutions"],
      resourceArns: [requests.stateMachineArn],
    });
    const executions = (machine: sfn.IStateMachine) =>
      Stack.of(this).formatArn({
        service: "states",
        resource: "execution",
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: `${Arn.split(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
      });
    const onboardingExecutions = executions(props.onboardingStateMachine);
    const requestExecutions = executions(requests);
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ["states:DescribeExecution"],
      resourceArns: [onboardingExecutions, requestExecutions],
    });
    // Stopping is how a "won back" delivery cancels a pending request.
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ["states:StopExecution"],
      resourceArns: [requestExecutions],
    });
    this.providerSecret.grantRead(fn);
    for (const arn of [onboardingExecutions, requestExecutions]) {
      acknowledgeWildcardResource(
        fn,
        arn,
        "Executions are named per delivery at run time: a redelivery is found, a pending request stopped, by name.",
      );
    }

    const integration = new HttpLambdaIntegration("CrmProviderWebhook", fn);
    for (const routePath of [HUBSPOT_WEBHOOK_PATH, SALESFORCE_WEBHOOK_PATH]) {
      new apigwv2.HttpRoute(this, `Post${routePath.replace(/\W+/g, "-")}`, {
        httpApi: props.api,
        routeKey: apigwv2.HttpRouteKey.with(routePath, apigwv2.HttpMethod.POST),
        integration,
      });
    }
    Validations.of(this).acknowledge({
      id: "AwsSolutions::AwsSolutions-APIG4",
      reason:
        "HubSpot signs each request (v3 HMAC) and Salesforce is authenticated by a secret path token and its organization id, both checked by the function; API Gateway has no authorizer for either scheme.",
    });
  }
}
