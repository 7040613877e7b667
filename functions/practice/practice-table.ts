// The practice table as the practice modules see it: a document client and the table name, plus the plumbing
// every read shares (paged queries, batched gets and puts that retry what DynamoDB left unprocessed).
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { PK, SK } from "../../contracts/table-schema.js";
import type { KeyCipher } from "../key-custody/key-cipher.js";
import type { KeyFingerprint, KeyFingerprinter } from "../key-custody/key-fingerprint.js";
import { ConfigurationError } from "../platform/errors.js";

export interface PracticeTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * Fingerprints a key the table has not seen yet (the ledger's address, docs/architecture.md §4). Only the
   * functions that first see a key have one; the rest read the fingerprint stored with the practice.
   */
  readonly fingerprint?: KeyFingerprinter;
  /**
   * Encrypts a key before it is written and opens it for a portal request (stored-customer-key.ts). Only the
   * functions that write or send a key have one (and the matching kms: grant, lib/key-custody.ts).
   */
  readonly keyCipher?: KeyCipher;
}

/** The keyed fingerprint of a key just seen (a portal answer, a listing, an import). */
export function fingerprintOf(table: PracticeTable, customerKey: string): Promise<KeyFingerprint> {
  if (!table.fingerprint)
    throw new ConfigurationError("this function has no key fingerprinter: it cannot address a new key");
  return table.fingerprint(customerKey);
}

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const MAX_UNPROCESSED_ROUNDS = 8;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The named attributes an item carries (absent ones left out): how every item becomes its record type. */
export function pickDefined<T>(item: Record<string, unknown>, names: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name];
  return out as T;
}

/** Every item of a query, page after page, up to `limit`. */
export async function queryAll(
  table: PracticeTable,
  input: QueryCommandInput,
  limit = Number.POSITIVE_INFINITY,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && items.length < limit);
  return items.slice(0, limit);
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Strongly consistent BatchGetItem of any number of keys (duplicates read once); missing items are absent. */
export async function batchGet(
  table: PracticeTable,
  itemKeys: ReadonlyArray<Record<string, string>>,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const unique = [...new Map(itemKeys.map((k) => [`${k[PK]}|${k[SK]}`, k])).values()];
  for (const batch of chunked(unique, BATCH_GET_LIMIT)) {
    let pending: Record<string, unknown>[] | undefined = batch;
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error("BatchGetItem kept returning unprocessed keys");
      if (round > 0) await sleep(50 * 2 ** round);
      const result = await table.client.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      out.push(...((result.Responses?.[table.tableName] ?? []) as Record<string, unknown>[]));
      pending = result.UnprocessedKeys?.[table.tableName]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return out;
}

/** BatchWriteItem puts of any number of items (unconditional: only for items a run owns alone). */
export async function batchPut(
  table: PracticeTable,
  items: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  for (const batch of chunked(items, BATCH_WRITE_LIMIT)) {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error("BatchWriteItem kept returning unprocessed items");
      if (round > 0) await sleep(50 * 2 ** round);
      const result = await table.client.send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: pending } }),
      );
      pending = (result.UnprocessedItems?.[table.tableName] ?? []) as typeof pending;
    }
  }
}
