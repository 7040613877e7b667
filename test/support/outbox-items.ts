// The events an outcome wrote to the table's outbox (functions/practice/outbox-writes.ts), read back the way the
// stream delivers them: each item's PutEvents entry, its detail parsed.

import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import {
  OUTBOX_ENTRY_ATTRIBUTE,
  OUTBOX_PK_PREFIX,
  type OutboxEntry,
} from "../../contracts/domain-event-outbox.js";

export interface OutboxEvent {
  readonly detailType: string;
  readonly detail: Record<string, unknown> & { readonly eventId: string };
}

/** Every outbox item of the table (a test table: a scan is fine). */
export async function outboxEvents(table: {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        FilterExpression: "begins_with(pk, :outbox)",
        ExpressionAttributeValues: { ":outbox": OUTBOX_PK_PREFIX },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const entry = JSON.parse(item[OUTBOX_ENTRY_ATTRIBUTE] as string) as OutboxEntry;
      events.push({ detailType: entry.DetailType, detail: JSON.parse(entry.Detail) });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return events;
}

/** An outbox event as the input its writer built it from: `type` plus the detail, without id and version. */
export function asEventInput({ detailType, detail }: OutboxEvent): Record<string, unknown> {
  const { schemaVersion: _version, eventId: _id, ...fields } = detail;
  return { type: detailType, ...fields };
}
