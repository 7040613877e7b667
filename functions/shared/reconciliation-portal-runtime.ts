// The rate-limited portal client for the reconciliation functions that call the portal (listing, repair),
// sharing the account-wide budget item with every other workflow.
import { runtimeConfig } from "./config.js";
import { reportPortalCall } from "./onboarding-runtime.js";
import { createPortalClient } from "./portal-client.js";
import { portalCredentialsFromSecret } from "./portal-credentials.js";
import { DynamoDbRateLimiter } from "./portal-rate-limiter.js";
import type { PortalClient } from "./portal-types.js";
import { reconciliationDocumentClient } from "./reconciliation-runtime.js";

let portal: PortalClient | undefined;

export function reconciliationPortal(): PortalClient {
  if (portal) return portal;
  const config = runtimeConfig();
  portal = createPortalClient({
    baseUrl: config.openDentalBaseUrl,
    credentials: portalCredentialsFromSecret(config.portalSecretArn),
    rateLimiter: new DynamoDbRateLimiter({
      client: reconciliationDocumentClient(),
      tableName: config.tableName,
      maxRps: config.portalMaxRps,
      maxWaitMs: config.portalMaxWaitMs,
    }),
    timeoutMs: config.portalTimeoutMs,
    onCall: reportPortalCall,
  });
  return portal;
}
