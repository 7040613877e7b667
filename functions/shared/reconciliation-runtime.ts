// The reconciliation Lambdas' table dependencies, built once per container on first use: DynamoDB, the practice
// and reconciliation stores, logging and the run metrics. Portal and Step Functions clients are added by
// reconciliation-portal-runtime.ts and reconciliation-execution-runtime.ts, only in the functions that use them,
// so the others do not bundle (or cold-start) those clients.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { tableNameFromEnv } from "./config.js";
import { logger, metrics } from "./observability.js";
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

let documentClient: DynamoDBDocumentClient | undefined;
let deps: ReconciliationDeps | undefined;

/** The one DynamoDB document client of the container. */
export function reconciliationDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/** Stores, logger and metrics: what every reconciliation step needs. */
export function reconciliationDeps(): ReconciliationDeps {
  if (deps) return deps;
  const client = reconciliationDocumentClient();
  const tableName = tableNameFromEnv();
  deps = {
    store: new PracticeStore({ client, tableName }),
    runs: new ReconciliationStore({ client, tableName }),
    logger,
    publishMetrics: publishReconciliationMetrics,
  };
  return deps;
}

/** Forgets the built dependencies (tests, local stack). */
export function resetReconciliationDeps(): void {
  deps = undefined;
  documentClient = undefined;
}
