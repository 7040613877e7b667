// Keys an operator released as not ours (`ops release-key`): `KEY#<fingerprint>/RELEASED`, beside the key's
// ledger item (addressed by the key's keyed fingerprint, never the key: docs/architecture.md §4).
// Reconciliation reads them for its lost-POST candidates only; functions/practice/candidate-keys.ts writes them.
import { keys, PK } from "../../contracts/table-schema.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { batchGet, type PracticeTable } from "./practice-table.js";

/** An operator's word that a key is not ours. Holds no key: its address is the fingerprint. */
export interface KeyRelease {
  readonly maskedKey: string;
  readonly releasedBy: string;
  readonly releasedAt: string;
  readonly reason: string;
  /** The reconciliation run whose report listed the key. */
  readonly runId: string;
}

/** Released keys among `fingerprints`, by fingerprint (absent keys were never released). */
export async function getReleasedKeys(
  table: PracticeTable,
  fingerprints: readonly KeyFingerprint[],
): Promise<Map<KeyFingerprint, KeyRelease>> {
  if (fingerprints.length === 0) return new Map();
  const items = await batchGet(
    table,
    fingerprints.map((fingerprint) => keys.releasedKey(fingerprint)),
  );
  return new Map(
    items.map((item) => [String(item[PK]).slice("KEY#".length) as KeyFingerprint, releaseFrom(item)]),
  );
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
