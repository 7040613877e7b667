// The reconciliation Lambdas' table dependencies, built once per container on first use: DynamoDB, the
// reconciliation store, logging and metrics. Portal and Step Functions clients, the practice store and the run's
// findings metrics are added by portal/portal-runtime.ts, reconciliation-execution-runtime.ts,
// practice/practice-store-runtime.ts and the finishing handler, only in the functions that use them, so the
// others do not bundle (or cold-start) them.
import type { KeyFingerprinter } from "../key-custody/key-fingerprint.js";
import { tableNameFromEnv } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { logger, metrics } from "../platform/observability.js";
import { ReconciliationStore } from "../practice/reconciliation-store.js";
import type { ReconciliationDeps } from "./reconciliation-deps.js";
import { recordTimeToInstall } from "./reconciliation-metrics.js";

let deps: ReconciliationDeps | undefined;
// Apart from the plain deps: the local stack runs every handler in one process, sharing this module.
let fingerprintingDeps: ReconciliationDeps | undefined;

/**
 * Stores, logger and metrics: what every reconciliation step needs. The listing step passes its fingerprinter
 * (it first sees the portal's keys); the others carry fingerprints from the table (docs/architecture.md §4).
 */
export function reconciliationDeps(
  custody: { readonly fingerprint?: KeyFingerprinter } = {},
): ReconciliationDeps {
  if (custody.fingerprint) {
    fingerprintingDeps ??= buildDeps(custody);
    return fingerprintingDeps;
  }
  deps ??= buildDeps(custody);
  return deps;
}

function buildDeps(custody: { readonly fingerprint?: KeyFingerprinter }): ReconciliationDeps {
  const client = documentClient();
  const tableName = tableNameFromEnv();
  return {
    runs: new ReconciliationStore({ client, tableName, ...custody }),
    logger,
    recordTimeToInstall: (seconds) => recordTimeToInstall(metrics, seconds),
  };
}
