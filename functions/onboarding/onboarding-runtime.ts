// The onboarding Lambdas' dependencies, built once per container on first use (so a bad environment fails the
// invocation with a ConfigurationError rather than the module import): DynamoDB, the practice store, the
// rate-limited portal client with its metrics and debug logging.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { runtimeConfig } from "../platform/config.js";
import { logger, metrics } from "../platform/observability.js";
import { recordPortalCall } from "../portal/portal-call-metrics.js";
import { createPortalClient, type PortalCallRecord } from "../portal/portal-client.js";
import { portalCredentialsFromSecret } from "../portal/portal-credentials.js";
import { DynamoDbRateLimiter } from "../portal/portal-rate-limiter.js";
import { PracticeStore } from "../practice/practice-store.js";
import type { OnboardingDeps } from "./onboarding-steps.js";

let deps: OnboardingDeps | undefined;

/** The metrics the alarms and dashboard read (portal-call-metrics.ts) plus a debug line; never a full key. */
export function reportPortalCall(call: PortalCallRecord): void {
  recordPortalCall(metrics, call);
  logger.debug("portal call", { ...call });
}

export function onboardingDeps(): OnboardingDeps {
  if (deps) return deps;
  const config = runtimeConfig();
  const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = new PracticeStore({ client: documentClient, tableName: config.tableName });
  const portal = createPortalClient({
    baseUrl: config.openDentalBaseUrl,
    credentials: portalCredentialsFromSecret(config.portalSecretArn),
    rateLimiter: new DynamoDbRateLimiter({
      client: documentClient,
      tableName: config.tableName,
      maxRps: config.portalMaxRps,
      maxWaitMs: config.portalMaxWaitMs,
    }),
    timeoutMs: config.portalTimeoutMs,
    onCall: reportPortalCall,
  });
  deps = { store, portal, portalSecretName: config.portalSecretArn, logger };
  return deps;
}

/** Forgets the built dependencies, so the next invocation reads the environment again (tests, local stack). */
export function resetOnboardingDeps(): void {
  deps = undefined;
}
