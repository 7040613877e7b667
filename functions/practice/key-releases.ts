// Keys an operator released as not ours (`ops release-key`): `KEY#<key>/RELEASED`, beside the key's ledger item.
// Reconciliation reads them for its lost-POST candidates only; functions/practice/candidate-keys.ts writes them.
import { keys, PK } from "../../contracts/table-schema.js";
import { batchGet, type PracticeTable } from "./practice-table.js";

/** An operator's word that a key is not ours. Holds the full key only in its table address. */
export interface KeyRelease {
  readonly maskedKey: string;
  readonly releasedBy: string;
  readonly releasedAt: string;
  readonly reason: string;
  /** The reconciliation run whose report listed the key. */
  readonly runId: string;
}

/** Released keys among `customerKeys` (absent keys were never released). */
export async function getReleasedKeys(
  table: PracticeTable,
  customerKeys: readonly string[],
): Promise<Map<string, KeyRelease>> {
  if (customerKeys.length === 0) return new Map();
  const items = await batchGet(
    table,
    customerKeys.map((key) => keys.releasedKey(key)),
  );
  return new Map(items.map((item) => [String(item[PK]).slice("KEY#".length), releaseFrom(item)]));
}

export function releaseFrom(item: Record<string, unknown>): KeyRelease {
  return {
    maskedKey: String(item.maskedKey),
    releasedBy: String(item.releasedBy),
    releasedAt: String(item.releasedAt),
    reason: String(item.reason ?? ""),
    runId: String(item.runId ?? ""),
  };
}
