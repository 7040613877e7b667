// The reconciliation Lambdas' table dependencies, built once per container on first use: DynamoDB, the
// reconciliation store, logging and metrics. Portal and Step Functions clients, the practice store and the run's
// findings metrics are added by portal/portal-runtime.ts, reconciliation-execution-runtime.ts,
// practice/practice-store-runtime.ts and the finishing handler, only in the functions that use them, so the
// others do not bundle (or cold-start) them.
import type { KeyCipher } from "../key-custody/key-cipher.js";
import type { KeyFingerprinter } from "../key-custody/key-fingerprint.js";
import { tableNameFromEnv } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { logger, metrics } from "../platform/observability.js";
import { ReconciliationStore } from "../practice/reconciliation-store.js";
import type { ReconciliationDeps } from "./reconciliation-deps.js";
import { recordTimeToInstall } from "./reconciliation-metrics.js";

// One set per kind of custody: the local stack runs every handler in one process, sharing this module.
const built = new Map<string, ReconciliationDeps>();

/**
 * Stores, logger and metrics: what every reconciliation step needs. The listing step passes its fingerprinter
 * (it first sees the portal's keys) and its key cipher (it stores candidates' and repairs' keys encrypted); the
 * repair step its key cipher (it opens them for the portal); the others carry fingerprints and ciphertexts from
 * the table (docs/architecture.md §4 invariant 13).
 */
export function reconciliationDeps(custody: Custody = {}): ReconciliationDeps {
  const kind = `${custody.fingerprint ? "f" : ""}${custody.keyCipher ? "c" : ""}`;
  let deps = built.get(kind);
  if (!deps) {
    deps = buildDeps(custody);
    built.set(kind, deps);
  }
  return deps;
}

interface Custody {
  readonly fingerprint?: KeyFingerprinter;
  readonly keyCipher?: KeyCipher;
}

function buildDeps(custody: Custody): ReconciliationDeps {
  const client = documentClient();
  const tableName = tableNameFromEnv();
  return {
    runs: new ReconciliationStore({ client, tableName, ...custody }),
    logger,
    recordTimeToInstall: (seconds) => recordTimeToInstall(metrics, seconds),
  };
}
