// Reads of practice records: one (strongly consistent), all of a status, or many at once (reconciliation).

import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  keys,
  PRACTICE_STATUSES,
  type PracticeStatus,
  STATUS_INDEX,
  STATUS_INDEX_PK,
  STATUS_INDEX_SK,
} from "../../contracts/table-schema.js";
import { type PracticeRecord, practiceFromItem } from "./practice-record.js";
import { batchGet, type PracticeTable, queryAll } from "./practice-table.js";

/** The practice record (strongly consistent read), or undefined. */
export async function getPractice(
  table: PracticeTable,
  practiceId: string,
): Promise<PracticeRecord | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.practice(practiceId), ConsistentRead: true }),
  );
  return Item ? practiceFromItem(Item) : undefined;
}

/** Practice records, ordered by practice id, through the status index (all statuses when none is given). */
export async function listPractices(
  table: PracticeTable,
  filter: { readonly status?: PracticeStatus } = {},
): Promise<PracticeRecord[]> {
  const statuses = filter.status ? [filter.status] : PRACTICE_STATUSES;
  const out: PracticeRecord[] = [];
  for (const status of statuses) {
    const items = await queryAll(table, {
      TableName: table.tableName,
      IndexName: STATUS_INDEX,
      KeyConditionExpression: "#status = :status",
      ExpressionAttributeNames: { "#status": STATUS_INDEX_PK },
      ExpressionAttributeValues: { ":status": status },
    });
    out.push(...items.map(practiceFromItem));
  }
  return filter.status ? out : out.sort((a, b) => a.practiceId.localeCompare(b.practiceId));
}

/** The records of the given practices, by practice id (unknown practices are absent). */
export async function getPractices(
  table: PracticeTable,
  practiceIds: readonly string[],
): Promise<Map<string, PracticeRecord>> {
  const unique = [...new Set(practiceIds)];
  const items = await batchGet(
    table,
    unique.map((id) => keys.practice(id)),
  );
  return new Map(items.map((item) => [String(item.practiceId), practiceFromItem(item)]));
}

/** One page of practice records of one status, ordered by practice id, after `afterPracticeId`. */
export async function practicesPage(
  table: PracticeTable,
  status: PracticeStatus,
  afterPracticeId: string | undefined,
  limit: number,
): Promise<{ practices: PracticeRecord[]; last: string | undefined }> {
  const page = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: STATUS_INDEX,
      KeyConditionExpression: "#status = :status",
      ExpressionAttributeNames: { "#status": STATUS_INDEX_PK },
      ExpressionAttributeValues: { ":status": status },
      Limit: limit,
      ...(afterPracticeId
        ? {
            ExclusiveStartKey: {
              [STATUS_INDEX_PK]: status,
              [STATUS_INDEX_SK]: afterPracticeId,
              ...keys.practice(afterPracticeId),
            },
          }
        : {}),
    }),
  );
  const practices = (page.Items ?? []).map(practiceFromItem);
  const last = page.LastEvaluatedKey ? String(page.LastEvaluatedKey[STATUS_INDEX_SK]) : undefined;
  return { practices, last };
}
