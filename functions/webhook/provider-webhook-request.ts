// The HubSpot and Salesforce routes' domain: verify the delivery as its provider documents, map each event
// (config/crm-mapping.json), act on each request, and answer — Salesforce's SOAP Ack only once every request
// is safely started (docs/architecture.md §5). Dependencies are arguments so tests hand it real parts.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { CrmProviderSecrets } from "./crm-provider-secrets.js";
import {
  type LifecycleResult,
  type LifecycleStarterDeps,
  startLifecycleRequest,
} from "./lifecycle-starter.js";
import { type CrmMapping, mapDelivery } from "./providers/crm-mapping.js";
import { DeliveryRejected } from "./providers/delivery-rejected.js";
import type { HttpDelivery } from "./providers/http-delivery.js";
import { readHubSpotDelivery } from "./providers/hubspot-delivery.js";
import type { CrmProvider, ProviderRecord } from "./providers/lifecycle-request.js";
import { readSalesforceDelivery, salesforceAckResponse } from "./providers/salesforce-outbound-message.js";

export interface ProviderWebhookDeps extends LifecycleStarterDeps {
  mapping: CrmMapping;
  secrets: () => Promise<CrmProviderSecrets>;
  logger: Pick<Logger, "info" | "warn" | "error">;
}

/** For metrics: accepted (something started), duplicate (all redelivered), ignored, rejected, failed. */
export type ProviderWebhookOutcome =
  | { kind: "accepted" | "duplicate" | "ignored" }
  | { kind: "rejected" | "failed"; reason: string };

export interface ProviderWebhookResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  outcome: ProviderWebhookOutcome;
  /** Mapped records a retry cannot fix (a rule matched, the practice id is invalid): logged and alarmed on. */
  invalid: number;
}

const JSON_HEADERS = { "content-type": "application/json" };

function jsonResult(
  statusCode: number,
  body: object,
  outcome: ProviderWebhookOutcome,
  invalid = 0,
): ProviderWebhookResult {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body), outcome, invalid };
}

/** Handles one delivery to `POST /webhooks/hubspot` or `POST /webhooks/salesforce/{token}`. */
export async function handleProviderDelivery(
  provider: CrmProvider,
  delivery: HttpDelivery,
  pathToken: string | undefined,
  deps: ProviderWebhookDeps,
): Promise<ProviderWebhookResult> {
  const mapping = deps.mapping[provider];
  if (!mapping) {
    // Not configured: nobody should be sending here, and nothing is verified against an empty secret list.
    return jsonResult(
      404,
      { error: "NotConfigured", message: `${provider} is not configured in the CRM mapping` },
      { kind: "rejected", reason: "NotConfigured" },
    );
  }
  let secrets: CrmProviderSecrets;
  try {
    secrets = await deps.secrets();
  } catch (error) {
    deps.logger.error("CRM provider secret unavailable", { error });
    return failure(500, "ConfigurationError", "the provider secret could not be read; nothing was started");
  }

  let records: ProviderRecord[];
  try {
    records =
      provider === "hubspot"
        ? readHubSpotDelivery(delivery, secrets.hubspotClientSecrets, deps.now())
        : readSalesforceDelivery(delivery, pathToken, {
            tokens: secrets.salesforcePathTokens,
            allowedOrganizationIds: deps.mapping.salesforce?.allowedOrganizationIds ?? [],
          }).records;
  } catch (error) {
    if (!(error instanceof DeliveryRejected)) throw error;
    deps.logger.warn("CRM delivery rejected", { provider, reason: error.reason, detail: error.message });
    return jsonResult(
      error.statusCode,
      { error: error.reason, message: error.message },
      { kind: "rejected", reason: error.reason },
    );
  }

  const mapped = mapDelivery(provider, mapping, records, deps.now());
  for (const invalid of mapped.invalid) {
    deps.logger.error("CRM event matched a rule but cannot become a request", {
      provider,
      deliveryId: invalid.deliveryId,
      reason: invalid.reason,
    });
  }
  const results: (LifecycleResult & { deliveryId: string; practiceId: string })[] = [];
  try {
    for (const request of mapped.requests) {
      const result = await startLifecycleRequest(request, deps);
      results.push({ ...result, deliveryId: request.deliveryId, practiceId: request.practiceId });
      deps.logger.info("CRM lifecycle request handled", {
        provider,
        deliveryId: request.deliveryId,
        kind: request.kind,
        practiceId: request.practiceId,
        ...("executionArn" in result
          ? { executionArn: result.executionArn, alreadyStarted: result.alreadyStarted }
          : "cancelled" in result
            ? { cancelled: result.cancelled.length }
            : { stale: true, wonBackAt: result.wonBackAt }),
      });
    }
  } catch (error) {
    // Nothing is acknowledged: the provider redelivers, and the requests already started are found again.
    deps.logger.error("Could not act on a CRM delivery", { provider, error });
    return isTransient(error)
      ? failure(503, "StepFunctionsUnavailable", "Step Functions is unavailable or throttling; retry later")
      : failure(500, "StartExecutionFailed", `a request could not be started (${(error as Error).name})`);
  }

  const started = results.filter((r) => "executionArn" in r && !r.alreadyStarted).length;
  const cancelled = results.some((r) => r.kind === "win-back" && r.cancelled.length > 0);
  const outcome: ProviderWebhookOutcome =
    started > 0 || cancelled
      ? { kind: "accepted" }
      : results.length > 0
        ? { kind: "duplicate" }
        : mapped.invalid.length > 0
          ? { kind: "rejected", reason: "UnmappableEvent" }
          : { kind: "ignored" };
  if (provider === "salesforce") {
    // Acknowledged even for ignored or unmappable notifications: a redelivery could not change them.
    return { ...salesforceAckResponse(), outcome, invalid: mapped.invalid.length };
  }
  return jsonResult(
    200,
    {
      results: results.map(({ deliveryId, practiceId, ...result }) => ({
        deliveryId,
        practiceId,
        ...result,
      })),
      ignored: mapped.ignored.length,
      invalid: mapped.invalid.map(({ deliveryId, reason }) => ({ deliveryId, reason })),
    },
    outcome,
    mapped.invalid.length,
  );
}

function failure(statusCode: number, error: string, message: string): ProviderWebhookResult {
  return jsonResult(statusCode, { error, message }, { kind: "failed", reason: error });
}

/** Throttling, a 5xx or no answer at all: the provider's retry will likely succeed. */
function isTransient(error: unknown): boolean {
  const sdkError = error as { name?: string; $fault?: string; $metadata?: unknown } | null;
  if (!sdkError || sdkError.$metadata === undefined) return true;
  return (
    sdkError.$fault === "server" || /Throttl|TooManyRequests|RequestLimitExceeded/i.test(sdkError.name ?? "")
  );
}
