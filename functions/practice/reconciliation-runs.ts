// A reconciliation run's report as stored: its summary (parameters, progress, counts), listed newest first
// through the status index, and its findings in chunks. Kept REPORT_RETENTION_DAYS, then expired by TTL.
import { GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { OutboxMessage } from "../../contracts/domain-event-outbox.js";
import type { Finding, FindingCounts } from "../../contracts/reconciliation-findings.js";
import {
  keys,
  PK,
  RECONCILIATION_RUN_INDEX,
  SK,
  STATUS_INDEX,
  STATUS_INDEX_PK,
  STATUS_INDEX_SK,
  TTL_ATTRIBUTE,
} from "../../contracts/table-schema.js";
import { transact } from "./conditional-transaction.js";
import { outboxPut } from "./outbox-writes.js";
import { type PracticeTable, pickDefined } from "./practice-table.js";

/** How long a run's summary and findings stay readable (`ops reconcile --show`). */
export const REPORT_RETENTION_DAYS = 90;

export type RunStatus = "RUNNING" | "SUCCEEDED" | "FAILED";

export interface RepairCounts {
  /** Repairs planned (findings repair acts on, outside the grace period). */
  readonly planned: number;
  readonly done: number;
  /** Not needed any more when re-checked (someone else fixed it meanwhile). */
  readonly skipped: number;
  /** Refused by the portal or the table; reported, left for a person. */
  readonly failed: number;
  /** Repairable findings held back because they are younger than the grace period. */
  readonly deferred: number;
}

/** One run as stored: its parameters, progress and, once finished, its counts. */
export interface ReconciliationRunSummary {
  readonly runId: string;
  readonly status: RunStatus;
  readonly repair: boolean;
  readonly graceMinutes: number;
  readonly notYetAssignedDays: number;
  readonly startedAt: string;
  readonly completedAt?: string;
  readonly counts?: FindingCounts;
  readonly needingAttention?: number;
  readonly keysListed?: number;
  readonly pagesListed?: number;
  readonly practicesChecked?: number;
  readonly repairs?: RepairCounts;
  /** FAILED runs: the error name and message (never a key). */
  readonly error?: string;
}

/** What a run records when it ends. */
export type RunOutcomeFields = Omit<
  ReconciliationRunSummary,
  "runId" | "repair" | "graceMinutes" | "notYetAssignedDays" | "startedAt"
>;

export const SUMMARY_ATTRIBUTES = [
  "runId",
  "status",
  "repair",
  "graceMinutes",
  "notYetAssignedDays",
  "startedAt",
  "completedAt",
  "counts",
  "needingAttention",
  "keysListed",
  "pagesListed",
  "practicesChecked",
  "repairs",
  "error",
] as const satisfies readonly (keyof ReconciliationRunSummary)[];

function summaryFrom(item: Record<string, unknown>): ReconciliationRunSummary {
  return pickDefined<ReconciliationRunSummary>(item, SUMMARY_ATTRIBUTES);
}

/** The TTL value `days` after `now` (epoch seconds). */
export function expiresAt(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}

/** One page of a run's items whose sort key starts with `prefix`, after the sort key `after`. */
export async function queryRunItems(
  table: PracticeTable,
  runId: string,
  prefix: string,
  after: string | undefined,
  limit: number,
): Promise<{ items: Record<string, unknown>[]; lastSk: string | undefined }> {
  const pk = keys.reconciliationRun(runId)[PK];
  const page = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
      ExpressionAttributeValues: { ":pk": pk, ":prefix": prefix },
      ConsistentRead: true,
      Limit: limit,
      ...(after ? { ExclusiveStartKey: { [PK]: pk, [SK]: after } } : {}),
    }),
  );
  return {
    items: (page.Items ?? []) as Record<string, unknown>[],
    lastSk: page.LastEvaluatedKey ? String(page.LastEvaluatedKey[SK]) : undefined,
  };
}

/** Creates the run's summary (RUNNING); a retried start gets the existing one back unchanged. */
export async function startRun(
  table: PracticeTable,
  run: Pick<ReconciliationRunSummary, "runId" | "repair" | "graceMinutes" | "notYetAssignedDays">,
  now: Date,
): Promise<ReconciliationRunSummary> {
  const summary: ReconciliationRunSummary = { ...run, status: "RUNNING", startedAt: now.toISOString() };
  try {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...keys.reconciliationRun(run.runId),
          [STATUS_INDEX_PK]: RECONCILIATION_RUN_INDEX,
          [STATUS_INDEX_SK]: `${summary.startedAt}#${run.runId}`,
          [TTL_ATTRIBUTE]: expiresAt(now, REPORT_RETENTION_DAYS),
          ...summary,
        },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PK },
      }),
    );
    return summary;
  } catch (error) {
    if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
    return (await getRun(table, run.runId))!;
  }
}

export async function getRun(
  table: PracticeTable,
  runId: string,
): Promise<ReconciliationRunSummary | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.reconciliationRun(runId), ConsistentRead: true }),
  );
  return Item ? summaryFrom(Item) : undefined;
}

/**
 * Records the run's outcome on its summary — with the event announcing it (ReconciliationCompleted), when given, in
 * the same transaction (docs/events.md "Delivery"): the report and its event are stored together or not at all.
 */
export async function finishRun(
  table: PracticeTable,
  runId: string,
  outcome: RunOutcomeFields,
  announce?: OutboxMessage,
): Promise<void> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [field, value] of Object.entries(outcome)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  const update = {
    TableName: table.tableName,
    Key: keys.reconciliationRun(runId),
    UpdateExpression: `SET ${sets.join(", ")}`,
    ConditionExpression: "attribute_exists(#pk)",
    ExpressionAttributeNames: { ...names, "#pk": PK },
    ExpressionAttributeValues: values,
  };
  // The outbox item's TTL counts from when the run finished.
  const at = new Date(outcome.completedAt ?? Date.now());
  await transact(table, [{ Update: update }, ...(announce ? [outboxPut(table, announce, at)] : [])]);
}

/** Most recent runs first. */
export async function listRuns(table: PracticeTable, limit = 20): Promise<ReconciliationRunSummary[]> {
  const { Items } = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: STATUS_INDEX,
      KeyConditionExpression: "#status = :runs",
      ExpressionAttributeNames: { "#status": STATUS_INDEX_PK },
      ExpressionAttributeValues: { ":runs": RECONCILIATION_RUN_INDEX },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (Items ?? []).map(summaryFrom);
}

/** Writes one chunk of findings (overwrites the same chunk on a retried invocation). */
export async function writeFindings(
  table: PracticeTable,
  runId: string,
  chunk: number,
  findings: readonly Finding[],
  now: Date,
): Promise<void> {
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...keys.reconciliationFindings(runId, chunk),
        runId,
        chunk,
        findings,
        [TTL_ATTRIBUTE]: expiresAt(now, REPORT_RETENTION_DAYS),
      },
    }),
  );
}

/** Reads the run's findings a page of chunks at a time; pass the returned cursor to continue. */
export async function readFindings(
  table: PracticeTable,
  runId: string,
  cursor?: string,
): Promise<{ findings: Finding[]; cursor: string | undefined }> {
  const page = await queryRunItems(table, runId, keys.reconciliationFindingsPrefix, cursor, 25);
  return {
    findings: page.items.flatMap((item) => (item.findings as Finding[] | undefined) ?? []),
    cursor: page.lastSk,
  };
}
