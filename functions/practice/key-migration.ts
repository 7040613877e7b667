// `ops migrate-keys`: re-addresses a table written before key custody (docs/architecture.md §4). Ledger entries
// `KEY#<customerKey>` move to `KEY#<fingerprint>` without the key (one transaction: put the new, delete the old),
// practice records get the fingerprint of their key (and of their previous key), and reconciliation scratch
// addressed by a key (`SEEN#<customerKey>`) is deleted (a run rebuilds it). Every key still stored in plaintext —
// a record's `customerKey` / `previousCustomerKey`, a run's candidates and planned repairs — is encrypted in place
// under the custody key (stored-customer-key.ts, §4 invariant 13). Masked keys of the old `QJXZ…W2HD` form are
// rewritten on the same scan (masked-key-migration.ts). Idempotent: every write is conditional on the old shape,
// so a re-run, or a run resumed from its cursor, changes nothing already done.
import {
  DeleteCommand,
  GetCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { keys, PK, SK } from "../../contracts/table-schema.js";
import { isEncryptedCustomerKey } from "../key-custody/key-cipher.js";
import { isKeyFingerprint, type KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { maskCustomerKey } from "../key-custody/masked-key.js";
import { ConfigurationError } from "../platform/errors.js";
import { type MaskedKeyMigrationCache, migrateMaskedKeysOf } from "./masked-key-migration.js";
import { fingerprintOf, type PracticeTable } from "./practice-table.js";
import { encryptCustomerKey, scratchKeyOwner } from "./stored-customer-key.js";

export interface KeyMigrationCounts {
  /** Items read. */
  scanned: number;
  /** `KEY#<customerKey>` entries moved to `KEY#<fingerprint>`. */
  ledgerEntries: number;
  /** Practice records given `keyFingerprint` / `previousKeyFingerprint`. */
  practiceRecords: number;
  /** `SEEN#<customerKey>` scratch items deleted. */
  scratchItems: number;
  /** Plaintext keys encrypted in place (records' keys and previous keys, run candidates, planned repairs). */
  encryptedKeys: number;
  /** Items whose masked keys of the old `QJXZ…W2HD` form were rewritten (masked-key-migration.ts). */
  maskedKeys: number;
}

export interface KeyMigrationOptions {
  /** Items per Scan page. @default 100 */
  readonly pageSize?: number;
  /** Resume after this cursor (the `cursor` a previous run's progress printed). */
  readonly startAfter?: Record<string, unknown>;
  /** Called after every page with the counts so far and the cursor to resume from (undefined: done). */
  readonly onProgress?: (counts: KeyMigrationCounts, cursor: Record<string, unknown> | undefined) => void;
}

const isConditionFailure = (error: unknown) =>
  ["ConditionalCheckFailedException", "TransactionCanceledException"].includes(
    (error as { name?: string }).name ?? "",
  );

/** Runs the migration to the end of the table; the table needs a fingerprinter (the stack's secret). */
export async function migrateKeys(
  table: PracticeTable,
  options: KeyMigrationOptions = {},
): Promise<KeyMigrationCounts> {
  // Both are needed for any item: refuse before the first write rather than halfway through a page.
  if (!table.fingerprint)
    throw new ConfigurationError("ops migrate-keys needs the key fingerprinter (the fingerprint secret)");
  if (!table.keyCipher)
    throw new ConfigurationError("ops migrate-keys needs the key cipher (the custody key)");
  const counts: KeyMigrationCounts = {
    scanned: 0,
    ledgerEntries: 0,
    practiceRecords: 0,
    scratchItems: 0,
    encryptedKeys: 0,
    maskedKeys: 0,
  };
  const masks: MaskedKeyMigrationCache = {};
  let cursor = options.startAfter;
  do {
    const page = await table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        Limit: options.pageSize ?? 100,
        ExclusiveStartKey: cursor,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) {
      counts.scanned += 1;
      const kind = kindOf(item);
      if (kind && (await migrateItem(table, item))) counts[kind] += 1;
      // Masks first: a mask is rewritten from the key's fingerprint, computed from the plaintext when none is
      // stored beside it — before the key below becomes a ciphertext.
      counts.maskedKeys += await migrateMaskedKeysOf(table, item, masks);
      counts.encryptedKeys += await encryptStoredKeys(table, item);
    }
    cursor = page.LastEvaluatedKey;
    options.onProgress?.({ ...counts }, cursor);
  } while (cursor);
  return counts;
}

type Kind = Exclude<keyof KeyMigrationCounts, "scanned" | "encryptedKeys" | "maskedKeys">;

function kindOf(item: Record<string, unknown>): Kind | undefined {
  const pk = String(item[PK]);
  const sk = String(item[SK]);
  if (pk.startsWith("KEY#") && !isKeyFingerprint(pk.slice(4))) return "ledgerEntries";
  if (pk.startsWith("PRACTICE#") && sk === "PRACTICE") return "practiceRecords";
  if (pk.startsWith("RECON#") && sk.startsWith("SEEN#") && !isKeyFingerprint(sk.slice(5)))
    return "scratchItems";
  return undefined;
}

/** @returns true when the item was in the old shape and is now migrated. */
async function migrateItem(table: PracticeTable, item: Record<string, unknown>): Promise<boolean> {
  try {
    switch (kindOf(item)) {
      case "ledgerEntries":
        return await moveLedgerEntry(table, item);
      case "practiceRecords":
        return await fingerprintPractice(table, item);
      case "scratchItems":
        await table.client.send(
          new DeleteCommand({ TableName: table.tableName, Key: { [PK]: item[PK], [SK]: item[SK] } }),
        );
        return true;
      default:
        return false;
    }
  } catch (error) {
    // Another run (or a workflow) migrated or changed it first: nothing left to do for this item.
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function moveLedgerEntry(table: PracticeTable, item: Record<string, unknown>): Promise<boolean> {
  const customerKey = String(item.customerKey ?? String(item[PK]).slice(4));
  const keyFingerprint = await fingerprintOf(table, customerKey);
  const { customerKey: _key, [PK]: _pk, [SK]: _sk, ...rest } = item;
  await table.client.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: table.tableName,
            Item: {
              ...rest,
              ...keys.ledgerEntry(keyFingerprint),
              keyFingerprint,
              maskedKey: maskCustomerKey(customerKey, keyFingerprint),
            },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": PK },
          },
        },
        {
          Delete: {
            TableName: table.tableName,
            Key: { [PK]: item[PK], [SK]: item[SK] },
            ConditionExpression: "attribute_exists(#pk)",
            ExpressionAttributeNames: { "#pk": PK },
          },
        },
      ],
    }),
  );
  return true;
}

async function fingerprintPractice(table: PracticeTable, item: Record<string, unknown>): Promise<boolean> {
  const sets: string[] = [];
  const conditions: string[] = [];
  const values: Record<string, unknown> = {};
  if (typeof item.customerKey === "string" && item.keyFingerprint === undefined) {
    sets.push("keyFingerprint = :fingerprint");
    conditions.push("customerKey = :key AND attribute_not_exists(keyFingerprint)");
    values[":fingerprint"] = await fingerprintOf(table, item.customerKey);
    values[":key"] = item.customerKey;
  }
  if (typeof item.previousCustomerKey === "string" && item.previousKeyFingerprint === undefined) {
    sets.push("previousKeyFingerprint = :previousFingerprint, previousMaskedKey = :previousMasked");
    conditions.push("previousCustomerKey = :previousKey AND attribute_not_exists(previousKeyFingerprint)");
    values[":previousFingerprint"] = await fingerprintOf(table, item.previousCustomerKey);
    values[":previousMasked"] = maskCustomerKey(
      item.previousCustomerKey,
      values[":previousFingerprint"] as KeyFingerprint,
    );
    values[":previousKey"] = item.previousCustomerKey;
  }
  if (sets.length === 0) return false;
  await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: { [PK]: item[PK], [SK]: item[SK] },
      UpdateExpression: `SET ${sets.join(", ")}`,
      ConditionExpression: conditions.join(" AND "),
      ExpressionAttributeValues: values,
    }),
  );
  return true;
}

/** A stored key still in plaintext (a ciphertext, or no key, is left alone). */
const isPlaintextKey = (value: unknown): value is string =>
  typeof value === "string" && value.length > 0 && !isEncryptedCustomerKey(value);

/**
 * Encrypts in place the plaintext keys the item holds (read again, so a record fingerprinted a moment ago by
 * migrateItem is seen as it is now). Each write is conditional on the plaintext still being there.
 * @returns how many keys it encrypted.
 */
async function encryptStoredKeys(table: PracticeTable, scanned: Record<string, unknown>): Promise<number> {
  const pk = String(scanned[PK]);
  const sk = String(scanned[SK]);
  const isRecord = pk.startsWith("PRACTICE#") && sk === "PRACTICE";
  const isCandidate = pk.startsWith("RECON#") && sk.startsWith(keys.reconciliationCandidatePrefix);
  const isAction = pk.startsWith("RECON#") && sk.startsWith(keys.reconciliationActionPrefix);
  if (!isRecord && !isCandidate && !isAction) return 0;
  const holds =
    isPlaintextKey(scanned.customerKey) ||
    isPlaintextKey(scanned.previousCustomerKey) ||
    isPlaintextKey((scanned.repair as { customerKey?: unknown } | undefined)?.customerKey);
  if (!holds) return 0;
  const { Item: item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: { [PK]: pk, [SK]: sk }, ConsistentRead: true }),
  );
  if (!item) return 0;
  const owner = isRecord
    ? { practiceId: String(item.practiceId) }
    : scratchKeyOwner(pk.slice("RECON#".length));
  let encrypted = 0;
  const attempt = async (
    path: string,
    names: Record<string, string>,
    plaintext: string,
    extra: { set?: string; values?: Record<string, unknown> } = {},
  ) => {
    try {
      await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { [PK]: pk, [SK]: sk },
          UpdateExpression: `SET ${path} = :cipher${extra.set ? `, ${extra.set}` : ""}`,
          ConditionExpression: `${path} = :plain`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ":cipher": await encryptCustomerKey(table, plaintext, owner),
            ":plain": plaintext,
            ...extra.values,
          },
        }),
      );
      encrypted += 1;
    } catch (error) {
      // A workflow (or another run) changed it first: it is no longer this plaintext.
      if (!isConditionFailure(error)) throw error;
    }
  };
  if (isPlaintextKey(item.customerKey))
    await attempt(
      "#key",
      { "#key": "customerKey", ...(isCandidate && !item.maskedKey ? { "#masked": "maskedKey" } : {}) },
      item.customerKey,
      // Operators tell candidates apart by their masked form: they cannot open the ciphertext.
      isCandidate && !item.maskedKey
        ? {
            set: "#masked = :masked",
            values: { ":masked": await candidateMask(table, item, item.customerKey) },
          }
        : {},
    );
  if (isRecord && isPlaintextKey(item.previousCustomerKey))
    await attempt("#key", { "#key": "previousCustomerKey" }, item.previousCustomerKey);
  const repairKey = (item.repair as { customerKey?: unknown } | undefined)?.customerKey;
  if (isAction && isPlaintextKey(repairKey))
    await attempt("#repair.#key", { "#repair": "repair", "#key": "customerKey" }, repairKey);
  return encrypted;
}

/** A candidate's shown form: its last 4 and its fingerprint (stored beside it, or computed from the plaintext). */
async function candidateMask(table: PracticeTable, item: Record<string, unknown>, customerKey: string) {
  const stored = item.keyFingerprint;
  const fingerprint: KeyFingerprint = isKeyFingerprint(stored)
    ? stored
    : await fingerprintOf(table, customerKey);
  return maskCustomerKey(customerKey, fingerprint);
}
