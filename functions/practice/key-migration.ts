// `ops migrate-keys`: re-addresses a table written before key custody (docs/architecture.md §4). Ledger entries
// `KEY#<customerKey>` move to `KEY#<fingerprint>` without the key (one transaction: put the new, delete the old),
// practice records get the fingerprint of their key (and of their previous key), and reconciliation scratch
// addressed by a key (`SEEN#<customerKey>`) is deleted (a run rebuilds it). Idempotent: every write is
// conditional on the old shape, so a re-run, or a run resumed from its cursor, changes nothing already done.
// Masked keys of the old `QJXZ…W2HD` form are rewritten on the same scan (masked-key-migration.ts).
import { DeleteCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys, PK, SK } from "../../contracts/table-schema.js";
import { isKeyFingerprint, type KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { maskCustomerKey } from "../key-custody/masked-key.js";
import { type MaskedKeyMigrationCache, migrateMaskedKeysOf } from "./masked-key-migration.js";
import { fingerprintOf, type PracticeTable } from "./practice-table.js";

export interface KeyMigrationCounts {
  /** Items read. */
  scanned: number;
  /** `KEY#<customerKey>` entries moved to `KEY#<fingerprint>`. */
  ledgerEntries: number;
  /** Practice records given `keyFingerprint` / `previousKeyFingerprint`. */
  practiceRecords: number;
  /** `SEEN#<customerKey>` scratch items deleted. */
  scratchItems: number;
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
  const counts: KeyMigrationCounts = {
    scanned: 0,
    ledgerEntries: 0,
    practiceRecords: 0,
    scratchItems: 0,
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
      if (await migrateItem(table, item)) counts[kindOf(item)!] += 1;
      counts.maskedKeys += await migrateMaskedKeysOf(table, item, masks);
    }
    cursor = page.LastEvaluatedKey;
    options.onProgress?.({ ...counts }, cursor);
  } while (cursor);
  return counts;
}

type Kind = Exclude<keyof KeyMigrationCounts, "scanned" | "maskedKeys">;

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
