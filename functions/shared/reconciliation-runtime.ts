// The reconciliation Lambdas' dependencies, built once per container on first use: DynamoDB, both stores, the
// Step Functions client for execution lookups, and — for the functions that call it — the rate-limited portal.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { runtimeConfig, tableNameFromEnv } from "./config.js";
import { stepFunctionsExecutionLookup } from "./execution-lookup.js";
import { logger, metrics } from "./observability.js";
import { reportPortalCall } from "./onboarding-runtime.js";
import { createPortalClient } from "./portal-client.js";
import { portalCredentialsFromSecret } from "./portal-credentials.js";
import { DynamoDbRateLimiter } from "./portal-rate-limiter.js";
import { PracticeStore } from "./practice-store.js";
import { FINDING_CATEGORIES, type FindingCounts } from "./reconciliation-findings.js";
import type { ReconciliationDeps } from "./reconciliation-steps.js";
import { ReconciliationStore } from "./reconciliation-store.js";

/** Metric names (lib/metric-names.ts will own them once merged). */
export const RECONCILIATION_FINDINGS_METRIC = "ReconciliationFindings";
export const RECONCILIATION_ATTENTION_METRIC = "ReconciliationFindingsNeedingAttention";
export const FINDING_CATEGORY_DIMENSION = "Category";

/** One `ReconciliationFindings` per category (zeros too, so a quiet run reads 0) and the attention count. */
export function publishReconciliationMetrics(counts: FindingCounts, needingAttention: number): void {
  for (const category of FINDING_CATEGORIES) {
    const single = metrics.singleMetric();
    single.addDimension(FINDING_CATEGORY_DIMENSION, category);
    single.addMetric(RECONCILIATION_FINDINGS_METRIC, MetricUnit.Count, counts[category]);
  }
  metrics.addMetric(RECONCILIATION_ATTENTION_METRIC, MetricUnit.Count, needingAttention);
}

const built = new Map<boolean, ReconciliationDeps>();

/** Dependencies for a reconciliation step; `portal: true` only for the steps that call the portal. */
export function reconciliationDeps(options: { readonly portal: boolean }): ReconciliationDeps {
  const cached = built.get(options.portal);
  if (cached) return cached;
  const tableName = options.portal ? runtimeConfig().tableName : tableNameFromEnv();
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const onboarding = process.env.ONBOARDING_STATE_MACHINE_ARN || undefined;
  const offboarding = process.env.OFFBOARDING_STATE_MACHINE_ARN || undefined;
  const deps: ReconciliationDeps = {
    store: new PracticeStore({ client, tableName }),
    runs: new ReconciliationStore({ client, tableName }),
    logger,
    publishMetrics: publishReconciliationMetrics,
    ...(onboarding || offboarding
      ? {
          executions: stepFunctionsExecutionLookup(new SFNClient({}), {
            ONBOARDING: onboarding,
            OFFBOARDING: offboarding,
          }),
        }
      : {}),
    ...(options.portal ? { portal: portalClient(client) } : {}),
  };
  built.set(options.portal, deps);
  return deps;
}

function portalClient(client: DynamoDBDocumentClient) {
  const config = runtimeConfig();
  return createPortalClient({
    baseUrl: config.openDentalBaseUrl,
    credentials: portalCredentialsFromSecret(config.portalSecretArn),
    rateLimiter: new DynamoDbRateLimiter({
      client,
      tableName: config.tableName,
      maxRps: config.portalMaxRps,
      maxWaitMs: config.portalMaxWaitMs,
    }),
    timeoutMs: config.portalTimeoutMs,
    onCall: reportPortalCall,
  });
}

/** Forgets the built dependencies (tests, local stack). */
export function resetReconciliationDeps(): void {
  built.clear();
}
