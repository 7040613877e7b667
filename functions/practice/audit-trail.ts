// The append-only audit trail of a practice: who did what, when. Entries are written in the same transaction
// as the change they describe (`auditPut`), or on their own (`appendAudit`). Never holds a full key.
import { randomUUID } from "node:crypto";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { keys, PK, SK } from "../../contracts/table-schema.js";
import { type PracticeTable, pickDefined, queryAll } from "./practice-table.js";

export type AuditAction =
  | "ONBOARDING_STARTED"
  | "KEY_CREATED"
  | "KEY_CREATE_RESPONSE_LOST"
  | "KEY_REENABLED"
  | "KEY_REENABLE_REFUSED"
  | "KEY_LABELED"
  | "KEY_DISABLED"
  | "ONBOARDING_COMPLETED"
  | "ONBOARDING_FAILED"
  | "COMPENSATION_SKIPPED"
  | "OFFBOARDING_STARTED"
  | "OFFBOARDING_COMPLETED"
  | "OFFBOARDING_FAILED"
  | "OFFBOARDING_COMPENSATION_SKIPPED"
  | "KEY_MISSING_IN_PORTAL"
  | (string & {});

export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;

/** One append-only audit entry: who did what to a practice, when. Never holds a full key. */
export interface AuditEntry {
  readonly practiceId: string;
  /** ISO timestamp. */
  readonly at: string;
  readonly id: string;
  readonly action: AuditAction;
  /** `crm-webhook:<id>`, `ops:<user>`, `reconciler`. */
  readonly actor: string;
  readonly executionName?: string;
  readonly details?: AuditDetails;
}

const AUDIT_ATTRIBUTES = [
  "practiceId",
  "at",
  "id",
  "action",
  "actor",
  "executionName",
  "details",
] as const satisfies readonly (keyof AuditEntry)[];

/** The transaction item that appends `entry` (never overwrites: unique sort key, conditional put). */
export function auditPut(table: PracticeTable, entry: Omit<AuditEntry, "id"> & { readonly id?: string }) {
  const id = entry.id ?? randomUUID();
  const item: AuditEntry = {
    practiceId: entry.practiceId,
    at: entry.at,
    id,
    action: entry.action,
    actor: entry.actor,
    ...(entry.executionName ? { executionName: entry.executionName } : {}),
    ...(entry.details ? { details: entry.details } : {}),
  };
  return {
    Put: {
      TableName: table.tableName,
      Item: { ...keys.audit(entry.practiceId, entry.at, id), ...item },
      ConditionExpression: "attribute_not_exists(#sk)",
      ExpressionAttributeNames: { "#sk": SK },
    },
  };
}

/** Appends one audit entry on its own (no change to the practice goes with it). */
export async function appendAudit(
  table: PracticeTable,
  entry: Omit<AuditEntry, "at" | "id"> & { readonly now?: Date },
): Promise<AuditEntry> {
  const { now, ...rest } = entry;
  const put = auditPut(table, { ...rest, at: (now ?? new Date()).toISOString() });
  await table.client.send(new PutCommand(put.Put));
  return pickDefined<AuditEntry>(put.Put.Item, AUDIT_ATTRIBUTES);
}

/** A practice's audit trail, oldest first. */
export async function listAudit(
  table: PracticeTable,
  practiceId: string,
  limit = 100,
): Promise<AuditEntry[]> {
  const items = await queryAll(
    table,
    {
      TableName: table.tableName,
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
      ExpressionAttributeValues: { ":pk": keys.practice(practiceId)[PK], ":prefix": keys.auditPrefix },
      ConsistentRead: true,
    },
    limit,
  );
  return items.map((item) => pickDefined<AuditEntry>(item, AUDIT_ATTRIBUTES));
}
