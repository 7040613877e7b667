// Finds a CustomerKey, or any 8-character run of one, anywhere at rest: every attribute of every item of a table
// and of each of its indexes, nested maps and lists included, map keys too (issue 15: no plaintext key at rest,
// docs/architecture.md §4 invariant 13). The demo and the chaos run end with it; tests use it on their tables.
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";

/** Where a run of a key was found, named by attribute path and the key's last 4 characters only. */
export interface KeyRunFinding {
  readonly path: string;
  readonly keyTail: string;
}

export const KEY_RUN_LENGTH = 8;

/** Every 8-character run of every key, mapped to the tail of its key (what a finding may name). */
export function keyRuns(customerKeys: Iterable<string>): Map<string, string> {
  const runs = new Map<string, string>();
  for (const key of customerKeys)
    for (let start = 0; start + KEY_RUN_LENGTH <= key.length; start++)
      runs.set(key.slice(start, start + KEY_RUN_LENGTH), key.slice(-4));
  return runs;
}

/** Every place in `value` (recursively) whose text holds a run of one of the keys. */
export function findKeyRuns(value: unknown, runs: ReadonlyMap<string, string>, path = "$"): KeyRunFinding[] {
  if (typeof value === "string") {
    for (let start = 0; start + KEY_RUN_LENGTH <= value.length; start++) {
      const tail = runs.get(value.slice(start, start + KEY_RUN_LENGTH));
      if (tail) return [{ path, keyTail: tail }];
    }
    return [];
  }
  if (value instanceof Uint8Array) return findKeyRuns(Buffer.from(value).toString("latin1"), runs, path);
  if (value instanceof Set) return findKeyRuns([...value], runs, path);
  if (Array.isArray(value))
    return value.flatMap((item, index) => findKeyRuns(item, runs, `${path}[${index}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([name, item]) => [
      ...findKeyRuns(name, runs, `${path}.<name>`),
      ...findKeyRuns(item, runs, `${path}.${name}`),
    ]);
  return [];
}

/** What a scan of a table found: how much it read, and every place a run of a key sits. */
export interface TableKeyScan {
  /** Items read, the table's and each index's (`table`, `index byStatusWithoutKeys`, …). */
  readonly itemsRead: Readonly<Record<string, number>>;
  readonly findings: readonly (KeyRunFinding & { readonly source: string })[];
}

/** Scans the table and every one of its indexes (with the client's credentials: an administrator's). */
export async function scanTableForKeys(
  client: DynamoDBClient,
  tableName: string,
  customerKeys: Iterable<string>,
): Promise<TableKeyScan> {
  const runs = keyRuns(customerKeys);
  const documents = DynamoDBDocumentClient.from(client);
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const sources: Array<{ source: string; indexName?: string }> = [
    { source: "table" },
    ...[...(Table?.GlobalSecondaryIndexes ?? []), ...(Table?.LocalSecondaryIndexes ?? [])].map((index) => ({
      source: `index ${index.IndexName}`,
      indexName: index.IndexName!,
    })),
  ];
  const itemsRead: Record<string, number> = {};
  const findings: (KeyRunFinding & { source: string })[] = [];
  for (const { source, indexName } of sources) {
    let count = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({
          TableName: tableName,
          ...(indexName ? { IndexName: indexName } : {}),
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        count += 1;
        for (const finding of findKeyRuns(item, runs)) findings.push({ source, ...finding });
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    itemsRead[source] = count;
  }
  return { itemsRead, findings };
}
