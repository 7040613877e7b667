// The reconciliation Lambdas' table dependencies, built once per container on first use: DynamoDB, the practice
// and reconciliation stores, logging and the run metrics. Portal and Step Functions clients are added by
// portal/portal-runtime.ts and reconciliation-execution-runtime.ts, only in the functions that use them,
// so the others do not bundle (or cold-start) those clients.
import { tableNameFromEnv } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { logger, metrics } from "../platform/observability.js";
import { PracticeStore } from "../practice/practice-store.js";
import { ReconciliationStore } from "../practice/reconciliation-store.js";
import type { ReconciliationDeps } from "./reconciliation-deps.js";
import { recordReconciliationFindings, recordTimeToInstall } from "./reconciliation-metrics.js";

let deps: ReconciliationDeps | undefined;

/** Stores, logger and metrics: what every reconciliation step needs. */
export function reconciliationDeps(): ReconciliationDeps {
  if (deps) return deps;
  const client = documentClient();
  const tableName = tableNameFromEnv();
  deps = {
    store: new PracticeStore({ client, tableName }),
    runs: new ReconciliationStore({ client, tableName }),
    logger,
    publishMetrics: (findingsByCategory, needingAttention) =>
      recordReconciliationFindings(metrics, { findingsByCategory, needingAttention }),
    recordTimeToInstall: (seconds) => recordTimeToInstall(metrics, seconds),
  };
  return deps;
}
