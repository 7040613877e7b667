// Lambda handler for `POST /webhooks/hubspot` and `POST /webhooks/salesforce/{token}` (API Gateway HTTP API,
// payload v2): wires real clients into provider-webhook-request.ts and records metrics.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { DIMENSION, METRIC } from "../../contracts/metric-names.js";
import { logger, metrics } from "../platform/observability.js";
import { createCrmProviderSecretsReader } from "./crm-provider-secrets.js";
import { createLatestWinBackReader, createOffboardingRequestCanceller } from "./lifecycle-starter.js";
import { createOnboardingStarter } from "./onboarding-starter.js";
import { readProviderWebhookConfig } from "./provider-webhook-config.js";
import { handleProviderDelivery, type ProviderWebhookOutcome } from "./provider-webhook-request.js";

// Cold start: a bad environment (or mapping) fails every invocation with the variable's name in the error.
const config = readProviderWebhookConfig(process.env);
const sfn = new SFNClient({});
const startOffboardingRequest = createOnboardingStarter(sfn, config.offboardingRequestStateMachineArn);
const deps = {
  mapping: config.mapping,
  secrets: createCrmProviderSecretsReader(config.providerSecretArn),
  startOnboarding: createOnboardingStarter(sfn, config.onboardingStateMachineArn),
  startOffboardingRequest: (name: string, input: object) => startOffboardingRequest(name, input),
  cancelOffboardingRequests: createOffboardingRequestCanceller(sfn, config.offboardingRequestStateMachineArn),
  latestWinBack: createLatestWinBackReader(sfn, config.offboardingRequestStateMachineArn),
  graceSeconds: config.graceSeconds,
  requiresApproval: config.requiresApproval,
  now: () => new Date(),
  logger,
};

function recordOutcome(outcome: ProviderWebhookOutcome, invalid: number): void {
  const metric = {
    accepted: METRIC.webhookAccepted,
    duplicate: METRIC.webhookDuplicate,
    ignored: METRIC.webhookIgnored,
    failed: METRIC.webhook5xx,
  } as const;
  if (outcome.kind === "rejected" || invalid > 0) {
    metrics
      .singleMetric()
      .addDimension(
        DIMENSION.webhookRejectionReason,
        outcome.kind === "rejected" ? outcome.reason : "UnmappableEvent",
      )
      .addMetric(METRIC.webhookRejected, MetricUnit.Count, 1);
  }
  if (outcome.kind === "rejected") return;
  metrics.addMetric(metric[outcome.kind], MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** The URL the sender called, as HubSpot signs it: API Gateway's host and raw path, query as received. */
function requestUrl(event: APIGatewayProxyEventV2): string {
  const proto = event.headers?.["x-forwarded-proto"] ?? "https";
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  return `${proto}://${event.requestContext.domainName}${event.rawPath}${query}`;
}

export const handler = async (
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  logger.resetKeys();
  if (context) logger.addContext(context);
  const provider = event.rawPath.startsWith("/webhooks/salesforce/") ? "salesforce" : "hubspot";
  try {
    const result = await handleProviderDelivery(
      provider,
      {
        method: event.requestContext.http.method,
        url: requestUrl(event),
        headers: event.headers ?? {},
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
      },
      event.pathParameters?.token,
      deps,
    );
    recordOutcome(result.outcome, result.invalid);
    return { statusCode: result.statusCode, headers: result.headers, body: result.body };
  } catch (error) {
    logger.error("Unexpected failure handling a CRM provider delivery", { error, provider });
    recordOutcome({ kind: "failed", reason: "InternalError" }, 0);
    return {
      statusCode: 500,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ error: "InternalError", message: "unexpected failure; retry later" }),
    };
  }
};
