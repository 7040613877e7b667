import { Duration, Validations } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { HandlerFunction } from "./handler-function.js";
import { acknowledgeTableKeyActions } from "./nag-acknowledgments.js";
import { TABLE_KEY_ACTIONS } from "./workflow-function-settings.js";

/** The page's routes on the HTTP API. The access log names these route keys, never the path (it holds the token). */
export const ACTIVATION_ROUTES = [
  { method: apigwv2.HttpMethod.GET, path: "/activate/{token}" },
  { method: apigwv2.HttpMethod.POST, path: "/activate/{token}" },
  { method: apigwv2.HttpMethod.GET, path: "/activate/assets/{asset}" },
] as const;

/**
 * The partition keys the page reads and writes (contracts/table-schema.ts): links by token hash, the practice's
 * record and audit trail, and its own per-source rate windows.
 */
export const ACTIVATION_LEADING_KEYS = ["ACTIVATION#*", "PRACTICE#*", "RATE#activation#*"];

export interface ActivationPageProps {
  /** The HTTP API that serves the page (the webhook's: one public endpoint, one stage with access logs). */
  readonly api: apigwv2.IHttpApi;
  /** Base URL of that API's stage, ending in `/`. */
  readonly stageUrl: string;
  readonly table: dynamodb.ITable;
  /** Key of the function's log group. */
  readonly encryptionKey: kms.IKey;
  /** Reserved concurrency, so a flood of page loads cannot starve the workflows. @default 5 */
  readonly reservedConcurrency?: number;
}

/**
 * The activation page (functions/activation/activation-page.ts): a function that may only get, put and update
 * items under the page's partition keys, and its three routes.
 */
export class ActivationPage extends Construct {
  readonly function: lambda.IFunction;
  /** The page's function as built (key custody grants it kms:Decrypt: it reveals the key to the office). */
  readonly handler: HandlerFunction;
  /** Where links point: `${baseUrl}activate/<token>`. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ActivationPageProps) {
    super(scope, id);
    const handler = new HandlerFunction(this, "Handler", {
      entry: "functions/activation/activation-page.ts",
      description:
        "Activation page: shows an ACTIVE practice's Open Dental setup steps and reveals its key once",
      timeout: Duration.seconds(10),
      encryptionKey: props.encryptionKey,
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      environment: { TABLE_NAME: props.table.tableName },
    });
    this.function = handler.function;
    this.handler = handler;
    // Item actions on the table alone (no index), limited to the page's own partitions.
    handler.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resources: [props.table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ACTIVATION_LEADING_KEYS } },
      }),
    );
    props.table.encryptionKey?.grant(handler.function, ...TABLE_KEY_ACTIONS);
    acknowledgeTableKeyActions(handler.function);

    const integration = new HttpLambdaIntegration("ActivationPage", handler.function);
    for (const route of ACTIVATION_ROUTES) {
      new apigwv2.HttpRoute(this, `${route.method}${route.path.replace(/\W+/g, "-")}`, {
        httpApi: props.api,
        routeKey: apigwv2.HttpRouteKey.with(route.path, route.method),
        integration,
      });
    }
    Validations.of(this).acknowledge({
      id: "AwsSolutions::AwsSolutions-APIG4",
      reason:
        "The link's 256-bit token is the credential: the office has no account, and the function checks the token's hash, state and expiry on every request.",
    });
    this.baseUrl = props.stageUrl;
  }
}
