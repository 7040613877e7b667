// A reconciliation run's scratch: the portal keys it saw, the keys a lost POST may have created, and the
// repairs it planned (with the outcome of each, so a retried invocation does not repeat one). Candidates and key
// repairs hold their key as a ciphertext of the run (stored-customer-key.ts), opened only by the repair; the items
// expire SCRATCH_RETENTION_DAYS after the run on their own. Their sort keys hold fingerprints, never keys
// (docs/architecture.md §4 invariant 13).
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys, PK, SK, TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { batchGet, batchPut, type PracticeTable } from "./practice-table.js";
import { expiresAt, queryRunItems } from "./reconciliation-runs.js";
import { scratchKeyOwner, storedFormOf } from "./stored-customer-key.js";

/** How long a run's scratch items live: far past any run's end, so nothing expires under a running run. */
export const SCRATCH_RETENTION_DAYS = 3;

/** What the run remembers of a portal key a practice may hold. */
export interface SeenKey {
  readonly keyStatus: string;
  readonly devRefId: string;
}

/** An enabled, unlabeled key outside the ledger, dated inside an open attempt's window. */
export interface LostKeyCandidate {
  /** The plaintext when the listing finds it; its `kms1:` ciphertext (of the run) once read back. */
  readonly customerKey: string;
  readonly keyFingerprint: KeyFingerprint;
  /** What operators see of it (`ops candidates`, findings): they cannot open the ciphertext. */
  readonly maskedKey: string;
  readonly dateCreated: string | null;
  /** `<practiceId>#<executionName>` of every open attempt whose window holds it. */
  readonly attemptIds: readonly string[];
}

/**
 * A repair the run will make. Its key is the plaintext when planned from a listing, the run's ciphertext once
 * stored (or when planned from a stored candidate); never shown or put in state.
 */
export type PlannedRepair =
  | {
      readonly type: "DISABLE_KEY";
      readonly category: "UNMAPPED_KEY_OURS" | "SHOULD_BE_DISABLED";
      readonly customerKey: string;
      readonly keyFingerprint: KeyFingerprint;
      /** The practice whose audit trail records the repair (the ledger's or the attempt's practice). */
      readonly practiceId: string;
    }
  | {
      readonly type: "RELABEL_KEY";
      readonly customerKey: string;
      readonly keyFingerprint: KeyFingerprint;
      readonly practiceId: string;
      readonly devRefId: string;
    }
  | {
      readonly type: "FINISH_STUCK";
      readonly practiceId: string;
      readonly status: "ONBOARDING" | "OFFBOARDING";
      readonly lastExecution: string;
      /** What the portal showed for the practice's key, if it holds one. */
      readonly seenKey?: SeenKey;
    };

export interface StoredRepair {
  /** Sort key of the action item: the cursor of the repair loop (carries no key). */
  readonly sk: string;
  readonly repair: PlannedRepair;
  readonly outcome?: string;
}

export async function writeSeenKeys(
  table: PracticeTable,
  runId: string,
  seen: ReadonlyArray<SeenKey & { readonly keyFingerprint: KeyFingerprint }>,
  now: Date,
): Promise<void> {
  await batchPut(
    table,
    seen.map((key) => ({
      ...keys.reconciliationSeenKey(runId, key.keyFingerprint),
      keyStatus: key.keyStatus,
      devRefId: key.devRefId,
      [TTL_ATTRIBUTE]: expiresAt(now, SCRATCH_RETENTION_DAYS),
    })),
  );
}

/** What the run saw of the given keys, by fingerprint (keys it did not see are absent). */
export async function getSeenKeys(
  table: PracticeTable,
  runId: string,
  fingerprints: readonly KeyFingerprint[],
): Promise<Map<KeyFingerprint, SeenKey>> {
  const items = await batchGet(
    table,
    fingerprints.map((fingerprint) => keys.reconciliationSeenKey(runId, fingerprint)),
  );
  const out = new Map<KeyFingerprint, SeenKey>();
  for (const item of items) {
    const fingerprint = String(item[SK]).slice("SEEN#".length) as KeyFingerprint;
    out.set(fingerprint, { keyStatus: String(item.keyStatus), devRefId: String(item.devRefId ?? "") });
  }
  return out;
}

export async function writeCandidates(
  table: PracticeTable,
  runId: string,
  chunk: number,
  candidates: readonly LostKeyCandidate[],
  now: Date,
): Promise<void> {
  const owner = scratchKeyOwner(runId);
  const items: Record<string, unknown>[] = [];
  for (const [index, candidate] of candidates.entries())
    items.push({
      ...keys.reconciliationCandidate(runId, chunk, index),
      ...candidate,
      customerKey: await storedFormOf(table, candidate.customerKey, owner),
      [TTL_ATTRIBUTE]: expiresAt(now, SCRATCH_RETENTION_DAYS),
    });
  await batchPut(table, items);
}

export async function readCandidates(
  table: PracticeTable,
  runId: string,
  after: string | undefined,
  limit: number,
): Promise<{ candidates: LostKeyCandidate[]; lastSk: string | undefined }> {
  const page = await queryRunItems(table, runId, keys.reconciliationCandidatePrefix, after, limit);
  return {
    candidates: page.items.map((item) => ({
      customerKey: String(item.customerKey),
      keyFingerprint: String(item.keyFingerprint) as KeyFingerprint,
      maskedKey: String(item.maskedKey ?? "(encrypted key)"),
      dateCreated: (item.dateCreated as string | null | undefined) ?? null,
      attemptIds: (item.attemptIds as string[] | undefined) ?? [],
    })),
    lastSk: page.lastSk,
  };
}

export async function writeRepairs(
  table: PracticeTable,
  runId: string,
  chunk: number,
  repairs: readonly PlannedRepair[],
  now: Date,
): Promise<void> {
  const owner = scratchKeyOwner(runId);
  const items: Record<string, unknown>[] = [];
  for (const [index, repair] of repairs.entries())
    items.push({
      ...keys.reconciliationAction(runId, chunk, index),
      repair:
        "customerKey" in repair
          ? { ...repair, customerKey: await storedFormOf(table, repair.customerKey, owner) }
          : repair,
      [TTL_ATTRIBUTE]: expiresAt(now, SCRATCH_RETENTION_DAYS),
    });
  await batchPut(table, items);
}

export async function readRepairs(
  table: PracticeTable,
  runId: string,
  after: string | undefined,
  limit: number,
): Promise<{ repairs: StoredRepair[]; lastSk: string | undefined }> {
  const page = await queryRunItems(table, runId, keys.reconciliationActionPrefix, after, limit);
  return {
    repairs: page.items.map((item) => ({
      sk: String(item[SK]),
      repair: item.repair as PlannedRepair,
      ...(typeof item.outcome === "string" ? { outcome: item.outcome } : {}),
    })),
    lastSk: page.lastSk,
  };
}

/** Remembers what a repair came to, so a retried invocation does not repeat it. */
export async function recordRepairOutcome(
  table: PracticeTable,
  runId: string,
  sk: string,
  outcome: string,
  now: Date,
): Promise<void> {
  await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: { [PK]: keys.reconciliationRun(runId)[PK], [SK]: sk },
      UpdateExpression: "SET outcome = :outcome, doneAt = :now",
      ExpressionAttributeValues: { ":outcome": outcome, ":now": now.toISOString() },
    }),
  );
}
