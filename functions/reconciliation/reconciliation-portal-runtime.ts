// The rate-limited portal client for the reconciliation functions that call the portal (listing, repair),
// sharing the account-wide budget item with every other workflow.

import { reportPortalCall } from "../onboarding/onboarding-runtime.js";
import { runtimeConfig } from "../platform/config.js";
import { createPortalClient } from "../portal/portal-client.js";
import { portalCredentialsFromSecret } from "../portal/portal-credentials.js";
import { DynamoDbRateLimiter } from "../portal/portal-rate-limiter.js";
import type { PortalClient } from "../portal/portal-types.js";
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
