// The reconciliation Lambdas' table dependencies, built once per container on first use: DynamoDB, the practice
// and reconciliation stores, logging and the run metrics. Portal and Step Functions clients are added by
// reconciliation-portal-runtime.ts and reconciliation-execution-runtime.ts, only in the functions that use them,
// so the others do not bundle (or cold-start) those clients.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { tableNameFromEnv } from "../platform/config.js";
import { logger, metrics } from "../platform/observability.js";
import { PracticeStore } from "../practice/practice-store.js";
import { ReconciliationStore } from "../practice/reconciliation-store.js";
import { recordReconciliationFindings } from "./reconciliation-metrics.js";
import type { ReconciliationDeps } from "./reconciliation-steps.js";

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
    publishMetrics: (findingsByCategory, needingAttention) =>
      recordReconciliationFindings(metrics, { findingsByCategory, needingAttention }),
  };
  return deps;
}

/** Forgets the built dependencies (tests, local stack). */
export function resetReconciliationDeps(): void {
  deps = undefined;
  documentClient = undefined;
}
