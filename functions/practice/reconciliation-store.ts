// The reconciliation's items in the practice table: run summaries, findings in chunks, and the run's scratch
// (keys seen, lost-POST candidates, planned repairs) that expires on its own. Also the reads reconciliation
// needs from the rest of the table in bulk (ledger, practices, open create attempts), and the few writes it
// makes outside its own items (adopting a lost key into the ledger, resolving an attempt).
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Finding, FindingCounts } from "../../contracts/reconciliation-findings.js";
import {
  keys,
  OPEN_CREATE_ATTEMPT_INDEX,
  PK,
  type PracticeStatus,
  RECONCILIATION_RUN_INDEX,
  SK,
  STATUS_INDEX,
  STATUS_INDEX_PK,
  STATUS_INDEX_SK,
  TTL_ATTRIBUTE,
} from "../../contracts/table-schema.js";
import { maskSecret } from "../platform/mask.js";
import type { PracticeRecord } from "./practice-store.js";

/** How long a run's summary and findings stay readable (`ops reconcile --show`). */
export const REPORT_RETENTION_DAYS = 90;
/** How long a run's scratch items live: far past any run's end, so nothing expires under a running run. */
export const SCRATCH_RETENTION_DAYS = 3;

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

/** A key in our ledger (`keys.customerKey`): one we created, re-enabled, adopted from a lost POST, or imported. */
export interface LedgerEntry {
  readonly customerKey: string;
  readonly practiceId: string;
  readonly createdBy?: string;
  readonly createdAt?: string;
  readonly reenabledAt?: string;
  readonly disabledAt?: string;
  /** Absent for keys onboarding created; `lost-response` (adopted by reconciliation) or `imported`. */
  readonly origin?: string;
}

/** A create attempt listed in the open-attempt index. */
export interface OpenCreateAttempt {
  readonly practiceId: string;
  readonly executionName: string;
  readonly status: "PENDING" | "CREATED" | "LOST_RESPONSE";
  readonly attempts: number;
  readonly lostResponses: number;
  readonly firstAttemptAt: string;
  readonly lastAttemptAt: string;
}

/** What the run remembers of a portal key a practice may hold. */
export interface SeenKey {
  readonly keyStatus: string;
  readonly devRefId: string;
}

/** An enabled, unlabeled key outside the ledger, dated inside an open attempt's window. */
export interface LostKeyCandidate {
  readonly customerKey: string;
  readonly dateCreated: string | null;
  /** `<practiceId>#<executionName>` of every open attempt whose window holds it. */
  readonly attemptIds: readonly string[];
}

/** A repair the run will make. Holds the full key: stored in the table only, never shown or put in state. */
export type PlannedRepair =
  | {
      readonly type: "DISABLE_KEY";
      readonly category: "UNMAPPED_KEY_OURS" | "SHOULD_BE_DISABLED";
      readonly customerKey: string;
      /** The practice whose audit trail records the repair (the ledger's or the attempt's practice). */
      readonly practiceId: string;
    }
  | {
      readonly type: "RELABEL_KEY";
      readonly customerKey: string;
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

export interface ReconciliationStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const MAX_UNPROCESSED_ROUNDS = 8;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function expiresAt(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class ReconciliationStore {
  private readonly client: DynamoDBDocumentClient;
  readonly tableName: string;

  constructor(options: ReconciliationStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  // ── Run summary ────────────────────────────────────────────────────────────────────────────────────────

  /** Creates the run's summary (RUNNING); a retried start gets the existing one back unchanged. */
  async startRun(
    run: Pick<ReconciliationRunSummary, "runId" | "repair" | "graceMinutes" | "notYetAssignedDays">,
    now: Date,
  ): Promise<ReconciliationRunSummary> {
    const summary: ReconciliationRunSummary = { ...run, status: "RUNNING", startedAt: now.toISOString() };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
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
      return (await this.getRun(run.runId))!;
    }
  }

  async getRun(runId: string): Promise<ReconciliationRunSummary | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.reconciliationRun(runId), ConsistentRead: true }),
    );
    return Item ? summaryFrom(Item) : undefined;
  }

  /** Records the run's outcome on its summary. */
  async finishRun(
    runId: string,
    outcome: Omit<
      ReconciliationRunSummary,
      "runId" | "repair" | "graceMinutes" | "notYetAssignedDays" | "startedAt"
    >,
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
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.reconciliationRun(runId),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { ...names, "#pk": PK },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Most recent runs first. */
  async listRuns(limit = 20): Promise<ReconciliationRunSummary[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
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

  // ── Findings ───────────────────────────────────────────────────────────────────────────────────────────

  /** Writes one chunk of findings (overwrites the same chunk on a retried invocation). */
  async writeFindings(runId: string, chunk: number, findings: readonly Finding[], now: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
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
  async readFindings(
    runId: string,
    cursor?: string,
  ): Promise<{ findings: Finding[]; cursor: string | undefined }> {
    const page = await this.queryRun(runId, keys.reconciliationFindingsPrefix, cursor, 25);
    return {
      findings: page.items.flatMap((item) => (item.findings as Finding[] | undefined) ?? []),
      cursor: page.lastSk,
    };
  }

  // ── Scratch: seen keys, candidates, repairs ──────────────────────────────────────────────────────────────

  async writeSeenKeys(
    runId: string,
    seen: ReadonlyArray<SeenKey & { readonly customerKey: string }>,
    now: Date,
  ): Promise<void> {
    await this.batchPut(
      seen.map((key) => ({
        ...keys.reconciliationSeenKey(runId, key.customerKey),
        keyStatus: key.keyStatus,
        devRefId: key.devRefId,
        [TTL_ATTRIBUTE]: expiresAt(now, SCRATCH_RETENTION_DAYS),
      })),
    );
  }

  async getSeenKeys(runId: string, customerKeys: readonly string[]): Promise<Map<string, SeenKey>> {
    const items = await this.batchGet(customerKeys.map((key) => keys.reconciliationSeenKey(runId, key)));
    const out = new Map<string, SeenKey>();
    for (const item of items) {
      const customerKey = String(item[SK]).slice("SEEN#".length);
      out.set(customerKey, { keyStatus: String(item.keyStatus), devRefId: String(item.devRefId ?? "") });
    }
    return out;
  }

  async writeCandidates(
    runId: string,
    chunk: number,
    candidates: readonly LostKeyCandidate[],
    now: Date,
  ): Promise<void> {
    await this.batchPut(
      candidates.map((candidate, index) => ({
        ...keys.reconciliationCandidate(runId, chunk, index),
        ...candidate,
        [TTL_ATTRIBUTE]: expiresAt(now, SCRATCH_RETENTION_DAYS),
      })),
    );
  }

  async readCandidates(
    runId: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ candidates: LostKeyCandidate[]; lastSk: string | undefined }> {
    const page = await this.queryRun(runId, keys.reconciliationCandidatePrefix, after, limit);
    return {
      candidates: page.items.map((item) => ({
        customerKey: String(item.customerKey),
        dateCreated: (item.dateCreated as string | null | undefined) ?? null,
        attemptIds: (item.attemptIds as string[] | undefined) ?? [],
      })),
      lastSk: page.lastSk,
    };
  }

  async writeRepairs(
    runId: string,
    chunk: number,
    repairs: readonly PlannedRepair[],
    now: Date,
  ): Promise<void> {
    await this.batchPut(
      repairs.map((repair, index) => ({
        ...keys.reconciliationAction(runId, chunk, index),
        repair,
        [TTL_ATTRIBUTE]: expiresAt(now, SCRATCH_RETENTION_DAYS),
      })),
    );
  }

  async readRepairs(
    runId: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ repairs: StoredRepair[]; lastSk: string | undefined }> {
    const page = await this.queryRun(runId, keys.reconciliationActionPrefix, after, limit);
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
  async recordRepairOutcome(runId: string, sk: string, outcome: string, now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: keys.reconciliationRun(runId)[PK], [SK]: sk },
        UpdateExpression: "SET outcome = :outcome, doneAt = :now",
        ExpressionAttributeValues: { ":outcome": outcome, ":now": now.toISOString() },
      }),
    );
  }

  // ── Reads of the rest of the table, in bulk ──────────────────────────────────────────────────────────────

  /** Ledger entries of the given keys (keys not in the ledger are absent from the map). */
  async getLedger(customerKeys: readonly string[]): Promise<Map<string, LedgerEntry>> {
    const items = await this.batchGet(customerKeys.map((key) => keys.customerKey(key)));
    const out = new Map<string, LedgerEntry>();
    for (const item of items) {
      const entry = pickDefined<LedgerEntry>(item, [
        "customerKey",
        "practiceId",
        "createdBy",
        "createdAt",
        "reenabledAt",
        "disabledAt",
        "origin",
      ]);
      out.set(entry.customerKey, entry);
    }
    return out;
  }

  async getPractices(practiceIds: readonly string[]): Promise<Map<string, PracticeRecord>> {
    const unique = [...new Set(practiceIds)];
    const items = await this.batchGet(unique.map((id) => keys.practice(id)));
    return new Map(items.map((item) => [String(item.practiceId), practiceFrom(item)]));
  }

  /** One page of practice records of one status, ordered by practice id, after `afterPracticeId`. */
  async practicesPage(
    status: PracticeStatus,
    afterPracticeId: string | undefined,
    limit: number,
  ): Promise<{ practices: PracticeRecord[]; last: string | undefined }> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
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
    const practices = (page.Items ?? []).map(practiceFrom);
    const last = page.LastEvaluatedKey ? String(page.LastEvaluatedKey[STATUS_INDEX_SK]) : undefined;
    return { practices, last };
  }

  /** Every create attempt still listed as open (normally a handful: reconciliation resolves them). */
  async listOpenAttempts(): Promise<OpenCreateAttempt[]> {
    const out: OpenCreateAttempt[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: STATUS_INDEX,
          KeyConditionExpression: "#status = :open",
          ExpressionAttributeNames: { "#status": STATUS_INDEX_PK },
          ExpressionAttributeValues: { ":open": OPEN_CREATE_ATTEMPT_INDEX },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        out.push({
          practiceId: String(item.practiceId),
          executionName: String(item.executionName),
          status: item.status as OpenCreateAttempt["status"],
          attempts: Number(item.attempts ?? 0),
          lostResponses: Number(item.lostResponses ?? 0),
          firstAttemptAt: String(item.firstAttemptAt),
          lastAttemptAt: String(item.lastAttemptAt ?? item.firstAttemptAt),
        });
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }

  /** Takes an attempt out of the open-attempt index: every POST it sent is accounted for. */
  async resolveAttempt(
    attempt: Pick<OpenCreateAttempt, "practiceId" | "executionName">,
    resolution: { readonly runId: string; readonly note: string; readonly now: Date },
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.createAttempt(attempt.practiceId, attempt.executionName),
        UpdateExpression:
          "SET resolvedAt = :now, resolvedBy = :runId, resolution = :note REMOVE #gsiStatus, #gsiSk",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PK, "#gsiStatus": STATUS_INDEX_PK, "#gsiSk": STATUS_INDEX_SK },
        ExpressionAttributeValues: {
          ":now": resolution.now.toISOString(),
          ":runId": resolution.runId,
          ":note": resolution.note,
        },
      }),
    );
  }

  /**
   * Enters a key a lost POST created into the ledger, attributed to the attempt's practice, so later runs know
   * it as ours even once the attempt is resolved. Never overwrites an existing ledger entry.
   */
  async adoptLostKey(
    customerKey: string,
    attempt: Pick<OpenCreateAttempt, "practiceId" | "executionName">,
    runId: string,
    now: Date,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.customerKey(customerKey),
            customerKey,
            maskedKey: maskSecret(customerKey),
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
      if ((error as { name?: string }).name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  }

  /** Marks a ledger key disabled (after the portal confirmed it). */
  async markLedgerDisabled(customerKey: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.customerKey(customerKey),
          UpdateExpression: "SET disabledAt = :now",
          ConditionExpression: "attribute_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
          ExpressionAttributeValues: { ":now": now.toISOString() },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
    }
  }

  // ── Plumbing ─────────────────────────────────────────────────────────────────────────────────────────────

  private async queryRun(runId: string, prefix: string, after: string | undefined, limit: number) {
    const pk = keys.reconciliationRun(runId)[PK];
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
        ExpressionAttributeValues: { ":pk": pk, ":prefix": prefix },
        ConsistentRead: true,
        Limit: limit,
        ...(after ? { ExclusiveStartKey: { [PK]: pk, [SK]: after } } : {}),
      }),
    );
    const items = (page.Items ?? []) as Record<string, unknown>[];
    return {
      items,
      lastSk: page.LastEvaluatedKey ? String(page.LastEvaluatedKey[SK]) : undefined,
    };
  }

  private async batchGet(
    itemKeys: ReadonlyArray<Record<string, string>>,
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    const unique = [...new Map(itemKeys.map((k) => [`${k[PK]}|${k[SK]}`, k])).values()];
    for (const batch of chunked(unique, BATCH_GET_LIMIT)) {
      let pending: Record<string, unknown>[] | undefined = batch;
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS) throw new Error("BatchGetItem kept returning unprocessed keys");
        if (round > 0) await sleep(50 * 2 ** round);
        const result = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        out.push(...((result.Responses?.[this.tableName] ?? []) as Record<string, unknown>[]));
        pending = result.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return out;
  }

  private async batchPut(items: ReadonlyArray<Record<string, unknown>>): Promise<void> {
    for (const batch of chunked(items, BATCH_WRITE_LIMIT)) {
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= MAX_UNPROCESSED_ROUNDS)
          throw new Error("BatchWriteItem kept returning unprocessed items");
        if (round > 0) await sleep(50 * 2 ** round);
        const result = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      }
    }
  }
}

function pickDefined<T>(item: Record<string, unknown>, names: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name];
  return out as T;
}

const SUMMARY_FIELDS = [
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
] as const;

function summaryFrom(item: Record<string, unknown>): ReconciliationRunSummary {
  return pickDefined<ReconciliationRunSummary>(item, SUMMARY_FIELDS);
}

const PRACTICE_FIELDS = [
  "practiceId",
  "devRefId",
  "status",
  "version",
  "lastExecution",
  "requestedBy",
  "onboardingKind",
  "customerKey",
  "maskedKey",
  "keyCreatedBy",
  "previousCustomerKey",
  "failureReason",
  "createdAt",
  "updatedAt",
  "activatedAt",
  "failedAt",
  "offboardedAt",
] as const;

function practiceFrom(item: Record<string, unknown>): PracticeRecord {
  return pickDefined<PracticeRecord>(item, PRACTICE_FIELDS);
}
