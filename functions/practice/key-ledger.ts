// The key ledger: one item per key we created, re-enabled, adopted or imported (key → practice), so one key maps
// to one practice and reconciliation knows which portal keys are ours. Its writes inside a practice change are
// transaction items built here; the few on their own (reconciliation's) are plain conditional writes.
// Entries are addressed and identified by the key's keyed fingerprint and never hold the key
// (docs/architecture.md §4): who has the key finds its entry, who reads the table learns nothing of it.
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys, PK } from "../../contracts/table-schema.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { batchGet, type PracticeTable, pickDefined } from "./practice-table.js";

/** A key in our ledger and the practice it belongs to. */
export interface LedgerEntry {
  /** HMAC-SHA-256 of the key under the fingerprint secret: the entry's address. */
  readonly keyFingerprint: KeyFingerprint;
  readonly maskedKey: string;
  readonly practiceId: string;
  /** The execution that created or re-enabled it, or `import`. */
  readonly createdBy: string;
  readonly createdAt: string;
  /** Set when the practice that holds it became ACTIVE. */
  readonly confirmedAt?: string;
  /** Set when we disabled it (compensation, offboarding, repair). */
  readonly disabledAt?: string;
  readonly reenabledAt?: string;
  /** Absent for keys onboarding created; `lost-response` (adopted by reconciliation) or `imported`. */
  readonly origin?: string;
}

const LEDGER_ATTRIBUTES = [
  "keyFingerprint",
  "maskedKey",
  "practiceId",
  "createdBy",
  "createdAt",
  "confirmedAt",
  "disabledAt",
  "reenabledAt",
  "origin",
] as const satisfies readonly (keyof LedgerEntry)[];

const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === "ConditionalCheckFailedException";

/** The practice a key of ours belongs to (by the key's fingerprint), or undefined for a key we never recorded. */
export async function getKeyOwner(
  table: PracticeTable,
  keyFingerprint: KeyFingerprint,
): Promise<LedgerEntry | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: keys.ledgerEntry(keyFingerprint),
      ConsistentRead: true,
    }),
  );
  return Item ? pickDefined<LedgerEntry>(Item, LEDGER_ATTRIBUTES) : undefined;
}

/** Ledger entries of the given fingerprints, by fingerprint (keys not in the ledger are absent from the map). */
export async function getLedger(
  table: PracticeTable,
  fingerprints: readonly KeyFingerprint[],
): Promise<Map<KeyFingerprint, LedgerEntry>> {
  const items = await batchGet(
    table,
    fingerprints.map((fingerprint) => keys.ledgerEntry(fingerprint)),
  );
  const out = new Map<KeyFingerprint, LedgerEntry>();
  for (const item of items) {
    const entry = pickDefined<LedgerEntry>(item, LEDGER_ATTRIBUTES);
    out.set(entry.keyFingerprint, entry);
  }
  return out;
}

/** Transaction item: a key just created enters the ledger — only if no practice has it yet. */
export function ledgerAddCreated(
  table: PracticeTable,
  entry: Pick<LedgerEntry, "keyFingerprint" | "maskedKey" | "practiceId" | "createdBy" | "createdAt">,
) {
  return {
    Put: {
      TableName: table.tableName,
      Item: { ...keys.ledgerEntry(entry.keyFingerprint), ...entry },
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": PK },
    },
  };
}

/**
 * Transaction item: a returning practice's previous key, re-enabled, is its own again (entered if missing,
 * `disabledAt` cleared) — only if the ledger maps it to no other practice.
 */
export function ledgerReenable(
  table: PracticeTable,
  step: {
    readonly keyFingerprint: KeyFingerprint;
    readonly maskedKey: string;
    readonly practiceId: string;
    readonly executionName: string;
  },
  now: string,
) {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.ledgerEntry(step.keyFingerprint),
      UpdateExpression:
        "SET reenabledAt = :now, keyFingerprint = :fingerprint, maskedKey = :masked, practiceId = if_not_exists(practiceId, :practiceId), " +
        "createdBy = if_not_exists(createdBy, :exec), createdAt = if_not_exists(createdAt, :now) REMOVE disabledAt",
      ConditionExpression: "attribute_not_exists(#pk) OR practiceId = :practiceId",
      ExpressionAttributeNames: { "#pk": PK },
      ExpressionAttributeValues: {
        ":now": now,
        ":fingerprint": step.keyFingerprint,
        ":masked": step.maskedKey,
        ":practiceId": step.practiceId,
        ":exec": step.executionName,
      },
    },
  };
}

/** Transaction item: the key's practice became ACTIVE with it — only if the ledger maps it to that practice. */
export function ledgerConfirm(
  table: PracticeTable,
  keyFingerprint: KeyFingerprint,
  practiceId: string,
  now: string,
) {
  return ledgerSetFor(table, keyFingerprint, practiceId, "confirmedAt", now);
}

/** Transaction item: the portal disabled the key — only if the ledger maps it to that practice. */
export function ledgerDisable(
  table: PracticeTable,
  keyFingerprint: KeyFingerprint,
  practiceId: string,
  now: string,
) {
  return ledgerSetFor(table, keyFingerprint, practiceId, "disabledAt", now);
}

function ledgerSetFor(
  table: PracticeTable,
  keyFingerprint: KeyFingerprint,
  practiceId: string,
  field: "confirmedAt" | "disabledAt",
  now: string,
) {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.ledgerEntry(keyFingerprint),
      UpdateExpression: `SET ${field} = :now`,
      ConditionExpression: "practiceId = :practiceId",
      ExpressionAttributeValues: { ":now": now, ":practiceId": practiceId },
    },
  };
}

/**
 * Enters a key a lost POST created into the ledger, attributed to the attempt's practice, so later runs know
 * it as ours even once the attempt is resolved. Never overwrites an existing ledger entry.
 * @returns false when the ledger already held the key.
 */
export async function adoptLostKey(
  table: PracticeTable,
  key: { readonly keyFingerprint: KeyFingerprint; readonly maskedKey: string },
  attempt: { readonly practiceId: string; readonly executionName: string },
  runId: string,
  now: Date,
): Promise<boolean> {
  try {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...keys.ledgerEntry(key.keyFingerprint),
          keyFingerprint: key.keyFingerprint,
          maskedKey: key.maskedKey,
          practiceId: attempt.practiceId,
          createdBy: attempt.executionName,
          createdAt: now.toISOString(),
          origin: "lost-response",
          adoptedBy: runId,
        },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PK },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Marks a ledger key disabled (after the portal confirmed it); a key not in the ledger is left alone. */
export async function markLedgerDisabled(
  table: PracticeTable,
  keyFingerprint: KeyFingerprint,
  now: Date,
): Promise<void> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.ledgerEntry(keyFingerprint),
        UpdateExpression: "SET disabledAt = :now",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PK },
        ExpressionAttributeValues: { ":now": now.toISOString() },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
