// Create attempts: one item per execution's `POST /apikeys` calls for a practice, written before the POST is
// sent, so an answer that never arrives still leaves a trace. Open attempts (a POST not matched by a recorded
// key) are listed in the status index until reconciliation accounts for them.
import { GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import {
  keys,
  OPEN_CREATE_ATTEMPT_INDEX,
  PK,
  SK,
  STATUS_INDEX,
  STATUS_INDEX_PK,
  STATUS_INDEX_SK,
} from "../../contracts/table-schema.js";
import { type PracticeTable, pickDefined, queryAll } from "./practice-table.js";

/**
 * One execution's `POST /apikeys` calls for a practice. `attempts` counts POSTs about to be sent; each one not
 * matched by `status: "CREATED"` nor by a refusal (`noKeyAnswers`) may have created a key whose answer we never
 * saw — reconciliation looks for it. A POST whose Lambda died before its outcome was written stays unknown.
 */
export interface CreateAttemptRecord {
  readonly practiceId: string;
  readonly executionName: string;
  readonly status: "PENDING" | "CREATED" | "LOST_RESPONSE";
  readonly attempts: number;
  readonly firstAttemptAt: string;
  readonly lastAttemptAt: string;
  readonly lostResponses: number;
  /** POSTs that certainly created nothing: refused (429, 4xx) or never sent (throttled by us, refused connection). */
  readonly noKeyAnswers?: number;
  /** Lost-POST keys an operator adopted for this attempt (`ops adopt-key`): each accounts for one POST. */
  readonly adoptedKeys?: number;
  /** When each lost answer was noticed, with the error's name. */
  readonly lostAt: readonly string[];
  readonly maskedKey?: string;
  readonly createdAt?: string;
}

/** A create attempt listed in the open-attempt index. */
export type OpenCreateAttempt = Pick<
  CreateAttemptRecord,
  | "practiceId"
  | "executionName"
  | "status"
  | "attempts"
  | "lostResponses"
  | "noKeyAnswers"
  | "adoptedKeys"
  | "firstAttemptAt"
  | "lastAttemptAt"
>;

export const ATTEMPT_ATTRIBUTES = [
  "practiceId",
  "executionName",
  "status",
  "attempts",
  "firstAttemptAt",
  "lastAttemptAt",
  "lostResponses",
  "noKeyAnswers",
  "adoptedKeys",
  "lostAt",
  "maskedKey",
  "createdAt",
] as const satisfies readonly (keyof CreateAttemptRecord)[];

type AttemptOf = { readonly practiceId: string; readonly executionName: string };

export async function getCreateAttempt(
  table: PracticeTable,
  practiceId: string,
  executionName: string,
): Promise<CreateAttemptRecord | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: keys.createAttempt(practiceId, executionName),
      ConsistentRead: true,
    }),
  );
  return Item ? pickDefined<CreateAttemptRecord>(Item, ATTEMPT_ATTRIBUTES) : undefined;
}

/** Every create attempt recorded for a practice (reconciliation resolves those not CREATED). */
export async function listCreateAttempts(
  table: PracticeTable,
  practiceId: string,
): Promise<CreateAttemptRecord[]> {
  const items = await queryAll(table, {
    TableName: table.tableName,
    KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
    ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
    ExpressionAttributeValues: { ":pk": keys.practice(practiceId)[PK], ":prefix": keys.attemptPrefix },
    ConsistentRead: true,
  });
  return items.map((item) => pickDefined<CreateAttemptRecord>(item, ATTEMPT_ATTRIBUTES));
}

/** Every create attempt still listed as open (normally a handful: reconciliation resolves them). */
export async function listOpenAttempts(table: PracticeTable): Promise<OpenCreateAttempt[]> {
  const out: OpenCreateAttempt[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
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
        noKeyAnswers: Number(item.noKeyAnswers ?? 0),
        adoptedKeys: Number(item.adoptedKeys ?? 0),
        firstAttemptAt: String(item.firstAttemptAt),
        lastAttemptAt: String(item.lastAttemptAt ?? item.firstAttemptAt),
      });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}

/** Takes an attempt out of the open-attempt index: every POST it sent is accounted for. */
export async function resolveAttempt(
  table: PracticeTable,
  attempt: AttemptOf,
  resolution: { readonly runId: string; readonly note: string; readonly now: Date },
): Promise<void> {
  await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
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

/** Transaction item: one more POST is about to be sent; the attempt is (still) listed as open. */
export function attemptPostSent(table: PracticeTable, attempt: AttemptOf, now: string) {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.createAttempt(attempt.practiceId, attempt.executionName),
      UpdateExpression:
        "SET practiceId = :practiceId, executionName = :exec, #status = :pending, " +
        "firstAttemptAt = if_not_exists(firstAttemptAt, :now), lastAttemptAt = :now, " +
        "lostResponses = if_not_exists(lostResponses, :zero), lostAt = if_not_exists(lostAt, :empty), " +
        // Listed in the status index until reconciliation has accounted for every POST of the attempt.
        "#gsiStatus = :openAttempt, #gsiSk = :attemptId ADD attempts :one",
      ExpressionAttributeNames: {
        "#status": "status",
        "#gsiStatus": STATUS_INDEX_PK,
        "#gsiSk": STATUS_INDEX_SK,
      },
      ExpressionAttributeValues: {
        ":openAttempt": OPEN_CREATE_ATTEMPT_INDEX,
        ":attemptId": `${attempt.practiceId}#${attempt.executionName}`,
        ":practiceId": attempt.practiceId,
        ":exec": attempt.executionName,
        ":pending": "PENDING",
        ":now": now,
        ":zero": 0,
        ":one": 1,
        ":empty": [],
      },
    },
  };
}

/** Transaction item: a POST's answer never arrived (noted with the error's name). */
export function attemptResponseLost(
  table: PracticeTable,
  attempt: AttemptOf,
  errorName: string,
  now: string,
) {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.createAttempt(attempt.practiceId, attempt.executionName),
      UpdateExpression:
        "SET #status = :lost, lostAt = list_append(if_not_exists(lostAt, :empty), :at) ADD lostResponses :one",
      ConditionExpression: "attribute_exists(#pk)",
      ExpressionAttributeNames: { "#status": "status", "#pk": PK },
      ExpressionAttributeValues: {
        ":lost": "LOST_RESPONSE",
        ":empty": [],
        ":at": [`${now} ${errorName}`],
        ":one": 1,
      },
    },
  };
}

/** Transaction item: a POST certainly created nothing (refused, or never sent); noted with the error's name. */
export function attemptAnsweredNothing(
  table: PracticeTable,
  attempt: AttemptOf,
  errorName: string,
  now: string,
) {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.createAttempt(attempt.practiceId, attempt.executionName),
      UpdateExpression: "SET lastNoKeyAnswer = :answer ADD noKeyAnswers :one",
      ConditionExpression: "attribute_exists(#pk)",
      ExpressionAttributeNames: { "#pk": PK },
      ExpressionAttributeValues: { ":answer": `${now} ${errorName}`, ":one": 1 },
    },
  };
}

/** Transaction item: the attempt's key was recorded (CREATED, with the key masked). */
export function attemptKeyCreated(table: PracticeTable, attempt: AttemptOf, maskedKey: string, now: string) {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.createAttempt(attempt.practiceId, attempt.executionName),
      UpdateExpression:
        "SET practiceId = :practiceId, executionName = :exec, #status = :created, maskedKey = :masked, " +
        "createdAt = :now, attempts = if_not_exists(attempts, :one), " +
        "lostResponses = if_not_exists(lostResponses, :zero), lostAt = if_not_exists(lostAt, :empty), " +
        "firstAttemptAt = if_not_exists(firstAttemptAt, :now), lastAttemptAt = if_not_exists(lastAttemptAt, :now)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: {
        ":practiceId": attempt.practiceId,
        ":exec": attempt.executionName,
        ":created": "CREATED",
        ":masked": maskedKey,
        ":now": now,
        ":one": 1,
        ":zero": 0,
        ":empty": [],
      },
    },
  };
}
