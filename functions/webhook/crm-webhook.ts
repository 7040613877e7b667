// Lambda handler for `POST /webhooks/crm` (API Gateway HTTP API, payload v2): wires real clients into the
// domain in shared/crm-webhook.ts and turns its outcome into a response and metrics.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { DIMENSION, METRIC } from "../../contracts/metric-names.js";
import { ConfigurationError } from "../platform/errors.js";
import { logger, metrics } from "../platform/observability.js";
import { createPracticeTransitionReader } from "../practice/practice-transition-read.js";
import { type CrmWebhookOutcome, handleCrmDelivery } from "./crm-webhook-request.js";
import { createOnboardingStarter } from "./onboarding-starter.js";
import { createWebhookSecretsReader } from "./webhook-secrets.js";

export interface CrmWebhookConfig {
  /** ARN of the onboarding state machine (`ONBOARDING_STATE_MACHINE_ARN`). */
  onboardingStateMachineArn: string;
  /** ARN or name of the webhook signing secret (`WEBHOOK_SECRET_ARN`). */
  webhookSecretArn: string;
  /** The practice table (`TABLE_NAME`), read to answer stale requests "stale"; without it they hear "accepted". */
  tableName?: string;
}

/** Reads and checks the handler's environment. @throws ConfigurationError naming the missing or bad variable. */
export function readCrmWebhookConfig(env: NodeJS.ProcessEnv): CrmWebhookConfig {
  const onboardingStateMachineArn = env.ONBOARDING_STATE_MACHINE_ARN?.trim();
  if (!onboardingStateMachineArn) {
    throw new ConfigurationError("Environment variable ONBOARDING_STATE_MACHINE_ARN is not set");
  }
  if (!/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:\s]{1,80}$/.test(onboardingStateMachineArn)) {
    throw new ConfigurationError(
      `Environment variable ONBOARDING_STATE_MACHINE_ARN must be a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), got "${onboardingStateMachineArn}"`,
    );
  }
  const webhookSecretArn = env.WEBHOOK_SECRET_ARN?.trim();
  if (!webhookSecretArn) throw new ConfigurationError("Environment variable WEBHOOK_SECRET_ARN is not set");
  const tableName = env.TABLE_NAME?.trim();
  return { onboardingStateMachineArn, webhookSecretArn, ...(tableName ? { tableName } : {}) };
}

// Cold start: a bad environment fails every invocation with the variable's name in the error.
const config = readCrmWebhookConfig(process.env);
const deps = {
  secrets: createWebhookSecretsReader(config.webhookSecretArn),
  startOnboarding: createOnboardingStarter(new SFNClient({}), config.onboardingStateMachineArn),
  ...(config.tableName ? { lastTransition: createPracticeTransitionReader(config.tableName) } : {}),
  now: () => new Date(),
  logger,
};

function recordOutcome(outcome: CrmWebhookOutcome): void {
  switch (outcome.kind) {
    case "accepted":
    case "stale":
      // A stale request still starts its execution, which ends Stale and counts it (StaleRequests).
      metrics.addMetric(METRIC.webhookAccepted, MetricUnit.Count, 1);
      break;
    case "duplicate":
      metrics.addMetric(METRIC.webhookDuplicate, MetricUnit.Count, 1);
      break;
    case "ignored":
      metrics.addMetric(METRIC.webhookIgnored, MetricUnit.Count, 1);
      break;
    case "rejected":
      // A dimension of its own so one reason can be alarmed on without splitting the other metrics.
      metrics
        .singleMetric()
        .addDimension(DIMENSION.webhookRejectionReason, outcome.reason)
        .addMetric(METRIC.webhookRejected, MetricUnit.Count, 1);
      return;
    case "failed":
      metrics.addMetric(METRIC.webhook5xx, MetricUnit.Count, 1);
      break;
  }
  metrics.publishStoredMetrics();
}

const JSON_HEADERS = { "content-type": "application/json" };

export const handler = async (
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  // Correlation keys belong to one invocation (locally, functions even share one logger).
  logger.resetKeys();
  if (context) logger.addContext(context);
  try {
    const result = await handleCrmDelivery(
      { headers: event.headers ?? {}, body: event.body, isBase64Encoded: event.isBase64Encoded },
      deps,
    );
    recordOutcome(result.outcome);
    return { statusCode: result.statusCode, headers: JSON_HEADERS, body: result.body };
  } catch (error) {
    logger.error("Unexpected failure handling a CRM webhook", { error });
    recordOutcome({ kind: "failed", reason: "InternalError" });
    return {
      statusCode: 500,
      headers: JSON_HEADERS,
      body: JSON.stringify({ error: "InternalError", message: "unexpected failure; retry later" }),
    };
  }
};
