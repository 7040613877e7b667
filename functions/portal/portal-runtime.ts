// The container's rate-limited portal client, built on first use (so a bad environment fails the invocation
// with a ConfigurationError rather than the module import). Every workflow shares the account-wide budget item.
import { runtimeConfig } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { logger, metrics } from "../platform/observability.js";
import { recordPortalCall } from "./portal-call-metrics.js";
import { createPortalClient, type PortalCallRecord } from "./portal-client.js";
import { portalCredentialsFromSecret } from "./portal-credentials.js";
import { DynamoDbRateLimiter } from "./portal-rate-limiter.js";
import type { PortalClient } from "./portal-types.js";

let portal: PortalClient | undefined;

/** The metrics the alarms and dashboard read (portal-call-metrics.ts) plus a debug line; never a full key. */
export function reportPortalCall(call: PortalCallRecord): void {
  recordPortalCall(metrics, call);
  logger.debug("portal call", { ...call });
}

export function portalClient(): PortalClient {
  if (portal) return portal;
  const config = runtimeConfig();
  portal = createPortalClient({
    baseUrl: config.openDentalBaseUrl,
    credentials: portalCredentialsFromSecret(config.portalSecretArn),
    rateLimiter: new DynamoDbRateLimiter({
      client: documentClient(),
      tableName: config.tableName,
      maxRps: config.portalMaxRps,
      maxWaitMs: config.portalMaxWaitMs,
    }),
    timeoutMs: config.portalTimeoutMs,
    onCall: reportPortalCall,
  });
  return portal;
}

/** The secret holding the portal credentials, named in 401 errors so operators know what to check. */
export function portalSecretName(): string {
  return runtimeConfig().portalSecretArn;
}

/** Forgets the client (tests, local stack). */
export function resetPortalClient(): void {
  portal = undefined;
}
