// The practice table's domain: practice records, key → practice items, create attempts and the audit trail.
// Every change to a practice record is one transaction with its audit entry, conditional on the state the
// caller saw (status, owning execution, version), so concurrent executions cannot interleave.
import { randomUUID } from "node:crypto";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import {
  keys,
  OPEN_CREATE_ATTEMPT_INDEX,
  PK,
  PRACTICE_STATUSES,
  type PracticeStatus,
  SK,
  STATUS_INDEX,
  STATUS_INDEX_PK,
  STATUS_INDEX_SK,
} from "../../contracts/table-schema.js";
import {
  ClaimLost,
  ConcurrentModification,
  KeyConflict,
  PracticeBusy,
  PracticeNotFound,
} from "../platform/errors.js";
import { maskSecret, redactCustomerKeys } from "../platform/mask.js";
import type { PortalKey } from "../portal/portal-types.js";

/** How an onboarding got its key: a new one, or (returning practice) possibly its old one re-enabled. */
export type OnboardingKind = "new" | "returning";
/** How the key of an ACTIVE practice came to be: created by its onboarding, or its old key re-enabled. */
export type KeyOrigin = "created" | "reenabled";

/** A practice as the table holds it. `customerKey` is secret: mask it (`maskedKey`) for anything shown. */
export interface PracticeRecord {
  readonly practiceId: string;
  readonly devRefId: string;
  readonly status: PracticeStatus;
  /** Optimistic-locking counter, +1 on every change. */
  readonly version: number;
  /** Execution that moved the practice to its current status; the owner while ONBOARDING/OFFBOARDING. */
  readonly lastExecution: string;
  /** Who asked for the current status (`crm-webhook:<id>`, `ops:<user>`, `reconciler`). */
  readonly requestedBy: string;
  readonly onboardingKind?: OnboardingKind;
  /** The practice's key. Full value: never log or return it. */
  readonly customerKey?: string;
  readonly maskedKey?: string;
  /** Execution that created (or re-enabled) `customerKey`. */
  readonly keyCreatedBy?: string;
  /** Set when the practice became ACTIVE: `reenabled` when its key is the one it had before (a returning practice). */
  readonly keyOrigin?: KeyOrigin;
  /** Returning practice: the key it had when offboarded, to re-enable if the portal allows. */
  readonly previousCustomerKey?: string;
  readonly failureReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly activatedAt?: string;
  readonly failedAt?: string;
  readonly offboardedAt?: string;
  /** The latest offboarding of this practice: why, by whom, what happened to its key (see startOffboarding). */
  readonly offboarding?: OffboardingDetails;
}

/** A key we created (or re-enabled) and the practice it belongs to. */
export interface KeyOwnerRecord {
  readonly customerKey: string;
  readonly maskedKey: string;
  readonly practiceId: string;
  readonly createdBy: string;
  readonly createdAt: string;
  /** Set when the practice that holds it became ACTIVE. */
  readonly confirmedAt?: string;
  /** Set when we disabled it (compensation, offboarding). */
  readonly disabledAt?: string;
  readonly reenabledAt?: string;
}

/**
 * One execution's `POST /apikeys` calls for a practice. `attempts` counts POSTs sent; each one not matched by
 * `status: "CREATED"` may have created a key whose answer we never saw — reconciliation looks for it.
 */
export interface CreateAttemptRecord {
  readonly practiceId: string;
  readonly executionName: string;
  readonly status: "PENDING" | "CREATED" | "LOST_RESPONSE";
  readonly attempts: number;
  readonly firstAttemptAt: string;
  readonly lastAttemptAt: string;
  readonly lostResponses: number;
  /** When each lost answer was noticed, with the error's name. */
  readonly lostAt: readonly string[];
  readonly maskedKey?: string;
  readonly createdAt?: string;
}

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

export type ClaimResult =
  | { readonly outcome: "claimed"; readonly version: number }
  | {
      readonly outcome: "returning";
      readonly version: number;
      /** The offboarded key to try re-enabling, masked. */
      readonly previousMaskedKey: string;
    }
  | { readonly outcome: "alreadyActive"; readonly maskedKey?: string }
  | { readonly outcome: "inProgress"; readonly owner: string; readonly status: PracticeStatus };

export type OffboardingClaimResult =
  | { readonly outcome: "claimed"; readonly version: number; readonly maskedKey?: string }
  | { readonly outcome: "alreadyOffboarded"; readonly maskedKey?: string }
  | { readonly outcome: "inProgress"; readonly owner: string; readonly status: PracticeStatus };

export interface ClaimRequest {
  readonly practiceId: string;
  readonly devRefId: string;
  readonly executionName: string;
  readonly requestedBy: string;
  readonly now?: Date;
}

interface OwnedStep {
  readonly practiceId: string;
  readonly executionName: string;
  /** Audit actor. @default the record's requestedBy */
  readonly actor?: string;
  readonly now?: Date;
}

/** Longest failure reason kept on the record and in the audit trail. */
const MAX_REASON_LENGTH = 1000;
/** Rounds of read-decide-write before a claim reports contention. */
const MAX_CLAIM_ROUNDS = 8;

const PRACTICE_ATTRIBUTES = [
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
  "keyOrigin",
  "previousCustomerKey",
  "failureReason",
  "createdAt",
  "updatedAt",
  "activatedAt",
  "failedAt",
  "offboardedAt",
  "offboarding",
] as const;

function pick<T>(item: Record<string, unknown>, names: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name];
  return out as T;
}

/** Reasons come from portal messages and error text: keep them short and free of anything key-shaped. */
export function sanitizeReason(reason: string): string {
  const clean = redactCustomerKeys(reason).trim();
  return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH - 1)}…` : clean;
}

function isConditionFailure(error: unknown): boolean {
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((r) => r.Code === "ConditionalCheckFailed");
  }
  return (error as { name?: string })?.name === "ConditionalCheckFailedException";
}

/** What the practice was when an offboarding claimed it: put back if the offboarding fails. */
export interface StatusBeforeOffboarding {
  readonly status: PracticeStatus;
  readonly lastExecution: string;
  readonly requestedBy: string;
}

/** The latest offboarding, kept on the practice record (a returning practice keeps it as history). */
export interface OffboardingDetails {
  readonly executionName: string;
  /** Audit actor, e.g. `ops:alice`. */
  readonly requestedBy: string;
  readonly reason: string;
  readonly startedAt: string;
  readonly previous: StatusBeforeOffboarding;
  /** When the portal confirmed the key disabled, or answered that it does not know it. */
  readonly keyDisabledAt?: string;
  /** The portal answered 404/410 for the key: nothing left to disable. */
  readonly keyMissingInPortal?: boolean;
  /** KeyStatus the portal answered to the disabling PUT (DisabledByHQ stays DisabledByHQ). */
  readonly portalKeyStatus?: string;
  readonly completedAt?: string;
  /** Set when the offboarding failed and the practice was put back to `previous.status`. */
  readonly failedAt?: string;
  readonly failureReason?: string;
}

export interface OffboardingStartRequest {
  readonly practiceId: string;
  readonly executionName: string;
  readonly requestedBy: string;
  /** Validated offboarding reason (offboarding-input.ts). */
  readonly reason: string;
  readonly now?: Date;
}

export type OffboardingStart =
  | {
      readonly outcome: "claimed";
      readonly version: number;
      readonly previousStatus: PracticeStatus;
      /** The key to disable, masked; absent when the practice holds none. */
      readonly maskedKey?: string;
    }
  | { readonly outcome: "alreadyOffboarded"; readonly maskedKey?: string; readonly offboardedAt?: string };

/** Statuses an offboarding may start from; the in-between ones belong to a running execution. */
const OFFBOARDABLE_STATUSES: readonly PracticeStatus[] = ["ACTIVE", "FAILED"];

export interface PracticeStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export class PracticeStore {
  private readonly client: DynamoDBDocumentClient;
  readonly tableName: string;

  constructor(options: PracticeStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  /** The practice record (strongly consistent read), or undefined. */
  async getPractice(practiceId: string): Promise<PracticeRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.practice(practiceId), ConsistentRead: true }),
    );
    return Item ? pick<PracticeRecord>(Item, PRACTICE_ATTRIBUTES) : undefined;
  }

  /**
   * Takes a practice for onboarding by `executionName`. New or FAILED → ONBOARDING ("claimed"); OFFBOARDED →
   * ONBOARDING ("returning", its old key kept as `previousCustomerKey`); ACTIVE → "alreadyActive"; ONBOARDING or
   * OFFBOARDING by another execution → "inProgress". The same execution asking again gets its claim back, so a
   * retried Lambda is harmless.
   */
  async claimForOnboarding(request: ClaimRequest): Promise<ClaimResult> {
    const { practiceId, executionName } = request;
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const now = (request.now ?? new Date()).toISOString();
      const current = await this.getPractice(practiceId);
      try {
        if (!current) return await this.claimNew(request, now);
        switch (current.status) {
          case "ACTIVE":
            return { outcome: "alreadyActive", maskedKey: current.maskedKey };
          case "ONBOARDING":
          case "OFFBOARDING":
            if (current.status === "ONBOARDING" && current.lastExecution === executionName) {
              return current.onboardingKind === "returning" && current.previousCustomerKey
                ? {
                    outcome: "returning",
                    version: current.version,
                    previousMaskedKey: maskSecret(current.previousCustomerKey),
                  }
                : { outcome: "claimed", version: current.version };
            }
            return { outcome: "inProgress", owner: current.lastExecution, status: current.status };
          case "FAILED":
          case "OFFBOARDED":
            return await this.claimExisting(request, current, now);
        }
      } catch (error) {
        if (isConditionFailure(error)) continue; // someone changed it between our read and write: decide again
        throw error;
      }
    }
    throw new ConcurrentModification(
      `practice ${practiceId} kept changing while execution ${executionName} tried to claim it`,
    );
  }

  private async claimNew(request: ClaimRequest, now: string): Promise<ClaimResult> {
    const record: PracticeRecord = {
      practiceId: request.practiceId,
      devRefId: request.devRefId,
      status: "ONBOARDING",
      version: 1,
      lastExecution: request.executionName,
      requestedBy: request.requestedBy,
      onboardingKind: "new",
      createdAt: now,
      updatedAt: now,
    };
    await this.transact([
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.practice(request.practiceId), ...statusIndex(record), ...record },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
        },
      },
      this.auditPut({
        practiceId: request.practiceId,
        at: now,
        action: "ONBOARDING_STARTED",
        actor: request.requestedBy,
        executionName: request.executionName,
        details: { previousStatus: null, devRefId: request.devRefId },
      }),
    ]);
    return { outcome: "claimed", version: 1 };
  }

  private async claimExisting(
    request: ClaimRequest,
    current: PracticeRecord,
    now: string,
  ): Promise<ClaimResult> {
    // An offboarded practice keeps its old key as the candidate to re-enable; a FAILED one starts clean
    // (its key, if any, was disabled by compensation and stays mapped to it through its key item).
    const returningKey = current.status === "OFFBOARDED" ? current.customerKey : undefined;
    const kind: OnboardingKind = returningKey ? "returning" : "new";
    const version = current.version + 1;
    await this.transact([
      {
        Update: {
          TableName: this.tableName,
          Key: keys.practice(request.practiceId),
          UpdateExpression:
            "SET #status = :onboarding, #gsiStatus = :onboarding, version = :version, lastExecution = :exec, " +
            "requestedBy = :requestedBy, devRefId = :devRefId, onboardingKind = :kind, updatedAt = :now" +
            (returningKey ? ", previousCustomerKey = :previousKey" : "") +
            " REMOVE customerKey, maskedKey, keyCreatedBy, keyOrigin, failureReason, failedAt" +
            (returningKey ? "" : ", previousCustomerKey"),
          ConditionExpression: "version = :expected AND #status = :seen",
          ExpressionAttributeNames: { "#status": "status", "#gsiStatus": STATUS_INDEX_PK },
          ExpressionAttributeValues: {
            ":onboarding": "ONBOARDING",
            ":version": version,
            ":expected": current.version,
            ":seen": current.status,
            ":exec": request.executionName,
            ":requestedBy": request.requestedBy,
            ":devRefId": request.devRefId,
            ":kind": kind,
            ":now": now,
            ...(returningKey ? { ":previousKey": returningKey } : {}),
          },
        },
      },
      this.auditPut({
        practiceId: request.practiceId,
        at: now,
        action: "ONBOARDING_STARTED",
        actor: request.requestedBy,
        executionName: request.executionName,
        details: {
          previousStatus: current.status,
          devRefId: request.devRefId,
          ...(returningKey ? { previousMaskedKey: maskSecret(returningKey) } : {}),
        },
      }),
    ]);
    return returningKey
      ? { outcome: "returning", version, previousMaskedKey: maskSecret(returningKey) }
      : { outcome: "claimed", version };
  }

  /**
   * Records, before `POST /apikeys` is sent, that this execution is about to create a key — so an answer that
   * never arrives still leaves a trace. Refuses (ClaimLost) unless the practice is ONBOARDING, owned by this
   * execution and without a key; ConcurrentModification if a key appeared meanwhile (the retry finds it).
   */
  async recordCreateAttempt(step: OwnedStep): Promise<CreateAttemptRecord> {
    const now = (step.now ?? new Date()).toISOString();
    try {
      await this.transact([
        {
          ConditionCheck: {
            TableName: this.tableName,
            Key: keys.practice(step.practiceId),
            ConditionExpression:
              "#status = :onboarding AND lastExecution = :exec AND attribute_not_exists(customerKey)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":onboarding": "ONBOARDING", ":exec": step.executionName },
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: keys.createAttempt(step.practiceId, step.executionName),
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
              ":attemptId": `${step.practiceId}#${step.executionName}`,
              ":practiceId": step.practiceId,
              ":exec": step.executionName,
              ":pending": "PENDING",
              ":now": now,
              ":zero": 0,
              ":one": 1,
              ":empty": [],
            },
          },
        },
      ]);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.getPractice(step.practiceId);
      if (current?.status === "ONBOARDING" && current.lastExecution === step.executionName) {
        throw new ConcurrentModification(
          `practice ${step.practiceId} already holds key ${current.maskedKey ?? "?"}; not creating another`,
        );
      }
      throw claimLost(step, current);
    }
    return (await this.getCreateAttempt(step.practiceId, step.executionName))!;
  }

  /** The answer to a POST never arrived (or was unreadable): the portal may hold a key nobody recorded. */
  async markCreateResponseLost(step: OwnedStep & { readonly errorName: string }): Promise<void> {
    const now = (step.now ?? new Date()).toISOString();
    const actor = step.actor ?? (await this.actorFor(step.practiceId));
    await this.transact([
      {
        Update: {
          TableName: this.tableName,
          Key: keys.createAttempt(step.practiceId, step.executionName),
          UpdateExpression:
            "SET #status = :lost, lostAt = list_append(if_not_exists(lostAt, :empty), :at) ADD lostResponses :one",
          ConditionExpression: "attribute_exists(#pk)",
          ExpressionAttributeNames: { "#status": "status", "#pk": PK },
          ExpressionAttributeValues: {
            ":lost": "LOST_RESPONSE",
            ":empty": [],
            ":at": [`${now} ${step.errorName}`],
            ":one": 1,
          },
        },
      },
      this.auditPut({
        practiceId: step.practiceId,
        at: now,
        action: "KEY_CREATE_RESPONSE_LOST",
        actor,
        executionName: step.executionName,
        details: { error: step.errorName },
      }),
    ]);
  }

  /**
   * Stores the key `POST /apikeys` just returned, in the same invocation: the practice gets the key (only if it
   * is still ONBOARDING by this execution and has none), the key → practice item is created (only if no practice
   * has that key), the attempt becomes CREATED, and the audit says so — one transaction. Recording the same key
   * again for the same execution is a no-op.
   * @throws KeyConflict when the practice already holds another key or the key belongs to another practice.
   * @throws ClaimLost when the practice is no longer ONBOARDING by this execution.
   */
  async recordKeyCreated(step: OwnedStep & { readonly key: PortalKey }): Promise<PracticeRecord> {
    const now = (step.now ?? new Date()).toISOString();
    const { customerKey } = step.key;
    const maskedKey = maskSecret(customerKey);
    const actor = step.actor ?? (await this.actorFor(step.practiceId));
    try {
      await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: keys.practice(step.practiceId),
            UpdateExpression:
              "SET customerKey = :key, maskedKey = :masked, keyCreatedBy = :exec, updatedAt = :now ADD version :one",
            ConditionExpression:
              "#status = :onboarding AND lastExecution = :exec AND attribute_not_exists(customerKey)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":key": customerKey,
              ":masked": maskedKey,
              ":exec": step.executionName,
              ":now": now,
              ":one": 1,
              ":onboarding": "ONBOARDING",
            },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: {
              ...keys.customerKey(customerKey),
              customerKey,
              maskedKey,
              practiceId: step.practiceId,
              createdBy: step.executionName,
              createdAt: now,
            },
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": PK },
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: keys.createAttempt(step.practiceId, step.executionName),
            UpdateExpression:
              "SET practiceId = :practiceId, executionName = :exec, #status = :created, maskedKey = :masked, " +
              "createdAt = :now, attempts = if_not_exists(attempts, :one), " +
              "lostResponses = if_not_exists(lostResponses, :zero), lostAt = if_not_exists(lostAt, :empty), " +
              "firstAttemptAt = if_not_exists(firstAttemptAt, :now), lastAttemptAt = if_not_exists(lastAttemptAt, :now)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":practiceId": step.practiceId,
              ":exec": step.executionName,
              ":created": "CREATED",
              ":masked": maskedKey,
              ":now": now,
              ":one": 1,
              ":zero": 0,
              ":empty": [],
            },
          },
        },
        this.auditPut({
          practiceId: step.practiceId,
          at: now,
          action: "KEY_CREATED",
          actor,
          executionName: step.executionName,
          details: { maskedKey, keyStatus: step.key.keyStatus },
        }),
      ]);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.getPractice(step.practiceId);
      if (current?.customerKey === customerKey && current.keyCreatedBy === step.executionName) return current;
      const owner = await this.getKeyOwner(customerKey);
      if (owner && owner.practiceId !== step.practiceId) {
        throw new KeyConflict(
          `key ${maskedKey} already belongs to practice ${owner.practiceId}; not recorded for ${step.practiceId}`,
        );
      }
      if (current?.status === "ONBOARDING" && current.lastExecution === step.executionName) {
        throw new KeyConflict(
          `practice ${step.practiceId} already holds key ${current.maskedKey ?? "?"}; ${maskedKey} not recorded`,
        );
      }
      throw claimLost(step, current);
    }
    return (await this.getPractice(step.practiceId))!;
  }

  /**
   * Returning practice: the portal re-enabled its previous key, which becomes its key again (only while
   * ONBOARDING by this execution, without a key, and the key is still mapped to this practice).
   */
  async recordKeyReenabled(step: OwnedStep): Promise<PracticeRecord> {
    const now = (step.now ?? new Date()).toISOString();
    const current = await this.getPractice(step.practiceId);
    if (current?.status !== "ONBOARDING" || current.lastExecution !== step.executionName) {
      throw claimLost(step, current);
    }
    if (current.customerKey && current.keyCreatedBy === step.executionName) return current;
    const previous = current.previousCustomerKey;
    if (!previous) throw new KeyConflict(`practice ${step.practiceId} has no previous key to re-enable`);
    const maskedKey = maskSecret(previous);
    try {
      await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: keys.practice(step.practiceId),
            UpdateExpression:
              "SET customerKey = :key, maskedKey = :masked, keyCreatedBy = :exec, updatedAt = :now ADD version :one",
            ConditionExpression:
              "#status = :onboarding AND lastExecution = :exec AND attribute_not_exists(customerKey) AND previousCustomerKey = :key",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":key": previous,
              ":masked": maskedKey,
              ":exec": step.executionName,
              ":now": now,
              ":one": 1,
              ":onboarding": "ONBOARDING",
            },
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: keys.customerKey(previous),
            UpdateExpression:
              "SET reenabledAt = :now, customerKey = :key, maskedKey = :masked, practiceId = if_not_exists(practiceId, :practiceId), " +
              "createdBy = if_not_exists(createdBy, :exec), createdAt = if_not_exists(createdAt, :now) REMOVE disabledAt",
            ConditionExpression: "attribute_not_exists(#pk) OR practiceId = :practiceId",
            ExpressionAttributeNames: { "#pk": PK },
            ExpressionAttributeValues: {
              ":now": now,
              ":key": previous,
              ":masked": maskedKey,
              ":practiceId": step.practiceId,
              ":exec": step.executionName,
            },
          },
        },
        this.auditPut({
          practiceId: step.practiceId,
          at: now,
          action: "KEY_REENABLED",
          actor: step.actor ?? current.requestedBy,
          executionName: step.executionName,
          details: { maskedKey },
        }),
      ]);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const latest = await this.getPractice(step.practiceId);
      if (latest?.customerKey === previous && latest.keyCreatedBy === step.executionName) return latest;
      if (latest?.status === "ONBOARDING" && latest.lastExecution === step.executionName) {
        throw new KeyConflict(
          `key ${maskedKey} is mapped to another practice; not re-enabled for ${step.practiceId}`,
        );
      }
      throw claimLost(step, latest);
    }
    return (await this.getPractice(step.practiceId))!;
  }

  /**
   * Onboarding done: practice ACTIVE and its key item confirmed, one transaction, only if the practice is still
   * ONBOARDING by this execution at `expectedVersion` and holds a key. Repeating it after success is a no-op.
   * @throws ConcurrentModification when the version moved (retry re-reads); ClaimLost when the claim is gone.
   */
  async markActive(step: OwnedStep & { readonly expectedVersion: number }): Promise<PracticeRecord> {
    const now = (step.now ?? new Date()).toISOString();
    const current = await this.getPractice(step.practiceId);
    if (current?.status === "ACTIVE" && current.lastExecution === step.executionName) return current;
    if (current?.status !== "ONBOARDING" || current.lastExecution !== step.executionName) {
      throw claimLost(step, current);
    }
    if (!current.customerKey) {
      throw new ClaimLost(`practice ${step.practiceId} has no key recorded; cannot mark it ACTIVE`);
    }
    try {
      await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: keys.practice(step.practiceId),
            UpdateExpression:
              "SET #status = :active, #gsiStatus = :active, version = :version, activatedAt = :now, updatedAt = :now, " +
              "keyOrigin = :origin REMOVE previousCustomerKey",
            ConditionExpression:
              "#status = :onboarding AND lastExecution = :exec AND version = :expected AND customerKey = :key",
            ExpressionAttributeNames: { "#status": "status", "#gsiStatus": STATUS_INDEX_PK },
            ExpressionAttributeValues: {
              ":active": "ACTIVE",
              ":onboarding": "ONBOARDING",
              ":version": step.expectedVersion + 1,
              ":expected": step.expectedVersion,
              ":exec": step.executionName,
              ":key": current.customerKey,
              ":now": now,
              ":origin": (current.onboardingKind === "returning" &&
              current.previousCustomerKey === current.customerKey
                ? "reenabled"
                : "created") satisfies KeyOrigin,
            },
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: keys.customerKey(current.customerKey),
            UpdateExpression: "SET confirmedAt = :now",
            ConditionExpression: "practiceId = :practiceId",
            ExpressionAttributeValues: { ":now": now, ":practiceId": step.practiceId },
          },
        },
        this.auditPut({
          practiceId: step.practiceId,
          at: now,
          action: "ONBOARDING_COMPLETED",
          actor: step.actor ?? current.requestedBy,
          executionName: step.executionName,
          details: { maskedKey: current.maskedKey ?? null, devRefId: current.devRefId },
        }),
      ]);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const latest = await this.getPractice(step.practiceId);
      if (latest?.status === "ACTIVE" && latest.lastExecution === step.executionName) return latest;
      if (latest?.status === "ONBOARDING" && latest.lastExecution === step.executionName) {
        throw new ConcurrentModification(
          `practice ${step.practiceId} is at version ${latest.version}, expected ${step.expectedVersion}`,
        );
      }
      throw claimLost(step, latest);
    }
    return (await this.getPractice(step.practiceId))!;
  }

  /**
   * Onboarding failed: practice FAILED with the reason (keys redacted, truncated), the key item marked disabled
   * when compensation disabled it, and the audit entry — only while ONBOARDING by this execution. Repeating it
   * is a no-op.
   */
  async markFailed(
    step: OwnedStep & { readonly reason: string; readonly keyDisabled?: boolean },
  ): Promise<PracticeRecord> {
    const now = (step.now ?? new Date()).toISOString();
    const reason = sanitizeReason(step.reason);
    const current = await this.getPractice(step.practiceId);
    if (current?.status === "FAILED" && current.lastExecution === step.executionName) return current;
    if (current?.status !== "ONBOARDING" || current.lastExecution !== step.executionName) {
      throw claimLost(step, current);
    }
    const items: NonNullable<TransactWriteCommandInput["TransactItems"]> = [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.practice(step.practiceId),
          UpdateExpression:
            "SET #status = :failed, #gsiStatus = :failed, version = :version, failureReason = :reason, " +
            "failedAt = :now, updatedAt = :now",
          ConditionExpression: "#status = :onboarding AND lastExecution = :exec AND version = :expected",
          ExpressionAttributeNames: { "#status": "status", "#gsiStatus": STATUS_INDEX_PK },
          ExpressionAttributeValues: {
            ":failed": "FAILED",
            ":onboarding": "ONBOARDING",
            ":version": current.version + 1,
            ":expected": current.version,
            ":exec": step.executionName,
            ":reason": reason,
            ":now": now,
          },
        },
      },
      this.auditPut({
        practiceId: step.practiceId,
        at: now,
        action: "ONBOARDING_FAILED",
        actor: step.actor ?? current.requestedBy,
        executionName: step.executionName,
        details: {
          reason,
          maskedKey: current.maskedKey ?? null,
          keyDisabled: current.customerKey ? step.keyDisabled === true : null,
        },
      }),
    ];
    if (current.customerKey && step.keyDisabled) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.customerKey(current.customerKey),
          UpdateExpression: "SET disabledAt = :now",
          ConditionExpression: "practiceId = :practiceId",
          ExpressionAttributeValues: { ":now": now, ":practiceId": step.practiceId },
        },
      });
    }
    try {
      await this.transact(items);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const latest = await this.getPractice(step.practiceId);
      if (latest?.status === "FAILED" && latest.lastExecution === step.executionName) return latest;
      if (latest?.status === "ONBOARDING" && latest.lastExecution === step.executionName) {
        throw new ConcurrentModification(`practice ${step.practiceId} changed while being marked FAILED`);
      }
      throw claimLost(step, latest);
    }
    return (await this.getPractice(step.practiceId))!;
  }

  /**
   * Takes a practice for offboarding: ACTIVE or FAILED → OFFBOARDING owned by `executionName` ("claimed", with
   * the key to disable, masked); OFFBOARDED → "alreadyOffboarded"; ONBOARDING/OFFBOARDING by another execution →
   * "inProgress". The same execution asking again gets its claim back.
   * @throws PracticeNotFound for a practice the table does not know.
   */
  async claimForOffboarding(request: Omit<ClaimRequest, "devRefId">): Promise<OffboardingClaimResult> {
    const { practiceId, executionName } = request;
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const now = (request.now ?? new Date()).toISOString();
      const current = await this.getPractice(practiceId);
      if (!current)
        throw new PracticeNotFound(`practice ${practiceId} is not in the table; nothing to offboard`);
      if (current.status === "OFFBOARDED")
        return { outcome: "alreadyOffboarded", maskedKey: current.maskedKey };
      if (current.status === "ONBOARDING" || current.status === "OFFBOARDING") {
        if (current.status === "OFFBOARDING" && current.lastExecution === executionName) {
          return { outcome: "claimed", version: current.version, maskedKey: current.maskedKey };
        }
        return { outcome: "inProgress", owner: current.lastExecution, status: current.status };
      }
      try {
        await this.transact([
          {
            Update: {
              TableName: this.tableName,
              Key: keys.practice(practiceId),
              UpdateExpression:
                "SET #status = :offboarding, #gsiStatus = :offboarding, version = :version, lastExecution = :exec, " +
                "requestedBy = :requestedBy, updatedAt = :now",
              ConditionExpression: "version = :expected AND #status = :seen",
              ExpressionAttributeNames: { "#status": "status", "#gsiStatus": STATUS_INDEX_PK },
              ExpressionAttributeValues: {
                ":offboarding": "OFFBOARDING",
                ":version": current.version + 1,
                ":expected": current.version,
                ":seen": current.status,
                ":exec": executionName,
                ":requestedBy": request.requestedBy,
                ":now": now,
              },
            },
          },
          this.auditPut({
            practiceId,
            at: now,
            action: "OFFBOARDING_STARTED",
            actor: request.requestedBy,
            executionName,
            details: { previousStatus: current.status, maskedKey: current.maskedKey ?? null },
          }),
        ]);
        return { outcome: "claimed", version: current.version + 1, maskedKey: current.maskedKey };
      } catch (error) {
        if (isConditionFailure(error)) continue;
        throw error;
      }
    }
    throw new ConcurrentModification(
      `practice ${practiceId} kept changing while execution ${executionName} tried to offboard it`,
    );
  }

  /**
   * Offboarding done: practice OFFBOARDED (its key kept, to re-enable if it returns), key item marked disabled
   * when `keyDisabled`, audit entry — only while OFFBOARDING by this execution. Repeating it is a no-op.
   */
  async markOffboarded(step: OwnedStep & { readonly keyDisabled: boolean }): Promise<PracticeRecord> {
    const now = (step.now ?? new Date()).toISOString();
    const current = await this.getPractice(step.practiceId);
    if (current?.status === "OFFBOARDED" && current.lastExecution === step.executionName) return current;
    if (current?.status !== "OFFBOARDING" || current.lastExecution !== step.executionName) {
      throw new ClaimLost(
        current
          ? `practice ${step.practiceId} is ${current.status} by execution ${current.lastExecution}, ` +
              `no longer OFFBOARDING by ${step.executionName}`
          : `practice ${step.practiceId} has no record`,
      );
    }
    const items: NonNullable<TransactWriteCommandInput["TransactItems"]> = [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.practice(step.practiceId),
          UpdateExpression:
            "SET #status = :offboarded, #gsiStatus = :offboarded, version = :version, offboardedAt = :now, updatedAt = :now",
          ConditionExpression: "#status = :offboarding AND lastExecution = :exec AND version = :expected",
          ExpressionAttributeNames: { "#status": "status", "#gsiStatus": STATUS_INDEX_PK },
          ExpressionAttributeValues: {
            ":offboarded": "OFFBOARDED",
            ":offboarding": "OFFBOARDING",
            ":version": current.version + 1,
            ":expected": current.version,
            ":exec": step.executionName,
            ":now": now,
          },
        },
      },
      this.auditPut({
        practiceId: step.practiceId,
        at: now,
        action: "OFFBOARDING_COMPLETED",
        actor: step.actor ?? current.requestedBy,
        executionName: step.executionName,
        details: { maskedKey: current.maskedKey ?? null, keyDisabled: step.keyDisabled },
      }),
    ];
    if (current.customerKey && step.keyDisabled) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.customerKey(current.customerKey),
          UpdateExpression: "SET disabledAt = :now",
          ConditionExpression: "practiceId = :practiceId",
          ExpressionAttributeValues: { ":now": now, ":practiceId": step.practiceId },
        },
      });
    }
    try {
      await this.transact(items);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const latest = await this.getPractice(step.practiceId);
      if (latest?.status === "OFFBOARDED" && latest.lastExecution === step.executionName) return latest;
      throw new ConcurrentModification(`practice ${step.practiceId} changed while being marked OFFBOARDED`);
    }
    return (await this.getPractice(step.practiceId))!;
  }

  /** Appends one audit entry (never overwrites: the sort key is unique and the write conditional). */
  async appendAudit(entry: Omit<AuditEntry, "at" | "id"> & { readonly now?: Date }): Promise<AuditEntry> {
    const { now, ...rest } = entry;
    const put = this.auditPut({ ...rest, at: (now ?? new Date()).toISOString() });
    await this.client.send(new PutCommand(put.Put!));
    return pick<AuditEntry>(put.Put!.Item as Record<string, unknown>, AUDIT_ATTRIBUTES);
  }

  /** A practice's audit trail, oldest first. */
  async listAudit(practiceId: string, limit = 100): Promise<AuditEntry[]> {
    const items = await this.queryAll(
      {
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
        ExpressionAttributeValues: { ":pk": keys.practice(practiceId)[PK], ":prefix": keys.auditPrefix },
        ConsistentRead: true,
      },
      limit,
    );
    return items.map((item) => pick<AuditEntry>(item, AUDIT_ATTRIBUTES));
  }

  /** Practice records, ordered by practice id, through the status index (all statuses when none is given). */
  async listPractices(filter: { readonly status?: PracticeStatus } = {}): Promise<PracticeRecord[]> {
    const statuses = filter.status ? [filter.status] : PRACTICE_STATUSES;
    const out: PracticeRecord[] = [];
    for (const status of statuses) {
      const items = await this.queryAll({
        TableName: this.tableName,
        IndexName: STATUS_INDEX,
        KeyConditionExpression: "#status = :status",
        ExpressionAttributeNames: { "#status": STATUS_INDEX_PK },
        ExpressionAttributeValues: { ":status": status },
      });
      out.push(...items.map((item) => pick<PracticeRecord>(item, PRACTICE_ATTRIBUTES)));
    }
    return filter.status ? out : out.sort((a, b) => a.practiceId.localeCompare(b.practiceId));
  }

  /** The practice a key of ours belongs to, or undefined for a key we never recorded. */
  async getKeyOwner(customerKey: string): Promise<KeyOwnerRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.customerKey(customerKey), ConsistentRead: true }),
    );
    return Item ? pick<KeyOwnerRecord>(Item, KEY_OWNER_ATTRIBUTES) : undefined;
  }

  async getCreateAttempt(
    practiceId: string,
    executionName: string,
  ): Promise<CreateAttemptRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.createAttempt(practiceId, executionName),
        ConsistentRead: true,
      }),
    );
    return Item ? pick<CreateAttemptRecord>(Item, ATTEMPT_ATTRIBUTES) : undefined;
  }

  /** Every create attempt recorded for a practice (reconciliation resolves those not CREATED). */
  async listCreateAttempts(practiceId: string): Promise<CreateAttemptRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": PK, "#sk": SK },
      ExpressionAttributeValues: { ":pk": keys.practice(practiceId)[PK], ":prefix": keys.attemptPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => pick<CreateAttemptRecord>(item, ATTEMPT_ATTRIBUTES));
  }

  private async actorFor(practiceId: string): Promise<string> {
    return (await this.getPractice(practiceId))?.requestedBy ?? "unknown";
  }

  private auditPut(entry: Omit<AuditEntry, "id"> & { readonly id?: string }) {
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
        TableName: this.tableName,
        Item: { ...keys.audit(entry.practiceId, entry.at, id), ...item },
        ConditionExpression: "attribute_not_exists(#sk)",
        ExpressionAttributeNames: { "#sk": SK },
      },
    };
  }

  private async transact(items: NonNullable<TransactWriteCommandInput["TransactItems"]>): Promise<void> {
    await this.client.send(new TransactWriteCommand({ TransactItems: items }));
  }

  private async queryAll(input: QueryCommandInput, limit = Number.POSITIVE_INFINITY) {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey && items.length < limit);
    return items.slice(0, limit);
  }

  // ---- Offboarding (the Offboarding workflow): startOffboarding → recordOffboardingKeyDisabled →
  // completeOffboarding, or restoreAfterFailedOffboarding when a step after the claim fails. The practice record's
  // `offboarding` attribute carries the whole story, so the steps pass nothing but the practice id between them.

  /**
   * Claims a practice for offboarding by `executionName`: ACTIVE or FAILED → OFFBOARDING (conditional on the
   * version read), remembering what it was (to put it back on failure) and why it is offboarded; OFFBOARDED →
   * "alreadyOffboarded" with nothing written. The same execution asking again gets its claim back.
   * @throws PracticeNotFound for a practice the table does not know (nothing written).
   * @throws PracticeBusy while another execution onboards or offboards it (nothing written).
   */
  async startOffboarding(request: OffboardingStartRequest): Promise<OffboardingStart> {
    const { practiceId, executionName } = request;
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const now = (request.now ?? new Date()).toISOString();
      const current = await this.getPractice(practiceId);
      if (!current) {
        throw new PracticeNotFound(`practice ${practiceId} is not in the table; nothing to offboard`);
      }
      const masked = current.maskedKey ? { maskedKey: current.maskedKey } : {};
      if (current.status === "OFFBOARDED") {
        return {
          outcome: "alreadyOffboarded",
          ...masked,
          ...(current.offboardedAt ? { offboardedAt: current.offboardedAt } : {}),
        };
      }
      if (
        current.status === "OFFBOARDING" &&
        current.lastExecution === executionName &&
        current.offboarding?.executionName === executionName
      ) {
        return {
          outcome: "claimed",
          version: current.version,
          previousStatus: current.offboarding.previous.status,
          ...masked,
        };
      }
      if (!OFFBOARDABLE_STATUSES.includes(current.status)) {
        throw new PracticeBusy(
          `practice ${practiceId} is ${current.status} by execution ${current.lastExecution}; ` +
            "offboard it once that execution has ended",
        );
      }
      const reason = sanitizeReason(request.reason);
      const offboarding: OffboardingDetails = {
        executionName,
        requestedBy: request.requestedBy,
        reason,
        startedAt: now,
        previous: {
          status: current.status,
          lastExecution: current.lastExecution,
          requestedBy: current.requestedBy,
        },
      };
      try {
        await this.transact([
          {
            Update: {
              TableName: this.tableName,
              Key: keys.practice(practiceId),
              UpdateExpression:
                "SET #status = :offboarding, #gsiStatus = :offboarding, version = :version, lastExecution = :exec, " +
                "requestedBy = :requestedBy, updatedAt = :now, #details = :details",
              ConditionExpression: "version = :expected AND #status = :seen",
              ExpressionAttributeNames: {
                "#status": "status",
                "#gsiStatus": STATUS_INDEX_PK,
                "#details": "offboarding",
              },
              ExpressionAttributeValues: {
                ":offboarding": "OFFBOARDING",
                ":version": current.version + 1,
                ":expected": current.version,
                ":seen": current.status,
                ":exec": executionName,
                ":requestedBy": request.requestedBy,
                ":now": now,
                ":details": offboarding,
              },
            },
          },
          this.auditPut({
            practiceId,
            at: now,
            action: "OFFBOARDING_STARTED",
            actor: request.requestedBy,
            executionName,
            details: { previousStatus: current.status, maskedKey: current.maskedKey ?? null, reason },
          }),
        ]);
      } catch (error) {
        if (isConditionFailure(error)) continue; // changed between our read and write: decide again
        throw error;
      }
      return { outcome: "claimed", version: current.version + 1, previousStatus: current.status, ...masked };
    }
    throw new ConcurrentModification(
      `practice ${practiceId} kept changing while execution ${executionName} tried to offboard it`,
    );
  }

  /**
   * The portal confirmed the practice's key disabled (`portalKeyStatus` as answered), or said it does not know
   * the key (`keyMissingInPortal`): noted on the record and in the audit trail, and the key item marked disabled
   * — only while OFFBOARDING by this execution with that key. Repeating it is a no-op.
   * @throws ClaimLost when the practice is no longer OFFBOARDING by this execution.
   */
  async recordOffboardingKeyDisabled(
    step: OwnedStep & { readonly keyMissingInPortal: boolean; readonly portalKeyStatus?: string },
  ): Promise<PracticeRecord> {
    const now = (step.now ?? new Date()).toISOString();
    const current = await this.ownedOffboarding(step);
    if (current.offboarding.keyDisabledAt) return current;
    const customerKey = current.customerKey;
    if (!customerKey) throw new KeyConflict(`practice ${step.practiceId} holds no key to record as disabled`);
    const maskedKey = maskSecret(customerKey);
    const owner = await this.getKeyOwner(customerKey);
    const items: NonNullable<TransactWriteCommandInput["TransactItems"]> = [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.practice(step.practiceId),
          UpdateExpression:
            "SET #details.keyDisabledAt = :now, #details.keyMissingInPortal = :missing, updatedAt = :now" +
            (step.portalKeyStatus ? ", #details.portalKeyStatus = :portalStatus" : "") +
            " ADD version :one",
          ConditionExpression:
            "#status = :offboarding AND lastExecution = :exec AND customerKey = :key AND #details.executionName = :exec",
          ExpressionAttributeNames: { "#status": "status", "#details": "offboarding" },
          ExpressionAttributeValues: {
            ":now": now,
            ":missing": step.keyMissingInPortal,
            ":one": 1,
            ":offboarding": "OFFBOARDING",
            ":exec": step.executionName,
            ":key": customerKey,
            ...(step.portalKeyStatus ? { ":portalStatus": step.portalKeyStatus } : {}),
          },
        },
      },
      this.auditPut({
        practiceId: step.practiceId,
        at: now,
        action: step.keyMissingInPortal ? "KEY_MISSING_IN_PORTAL" : "KEY_DISABLED",
        actor: step.actor ?? current.offboarding.requestedBy,
        executionName: step.executionName,
        details: step.keyMissingInPortal
          ? { maskedKey }
          : { maskedKey, portalKeyStatus: step.portalKeyStatus ?? null },
      }),
    ];
    if (owner?.practiceId === step.practiceId && !step.keyMissingInPortal) {
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.customerKey(customerKey),
          UpdateExpression: "SET disabledAt = :now",
          ConditionExpression: "practiceId = :practiceId",
          ExpressionAttributeValues: { ":now": now, ":practiceId": step.practiceId },
        },
      });
    }
    try {
      await this.transact(items);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const latest = await this.ownedOffboarding(step);
      if (latest.offboarding.keyDisabledAt) return latest;
      throw new ConcurrentModification(
        `practice ${step.practiceId} changed while its key was being recorded`,
      );
    }
    return (await this.getPractice(step.practiceId))!;
  }

  /**
   * Offboarding done: practice OFFBOARDED with the time (its key kept, to re-enable if it returns), one audit
   * entry with the reason — only while OFFBOARDING by this execution, and only once a key it holds was recorded
   * disabled (or missing). Repeating it after success is a no-op.
   * @throws ClaimLost when the claim is gone; KeyConflict when its key was never recorded disabled.
   */
  async completeOffboarding(step: OwnedStep): Promise<PracticeRecord> {
    const now = (step.now ?? new Date()).toISOString();
    const found = await this.getPractice(step.practiceId);
    if (
      found?.status === "OFFBOARDED" &&
      found.lastExecution === step.executionName &&
      found.offboarding?.completedAt
    ) {
      return found;
    }
    const current = await this.ownedOffboarding(step, found);
    const details = current.offboarding;
    if (current.customerKey && !details.keyDisabledAt) {
      throw new KeyConflict(
        `practice ${step.practiceId} holds key ${maskSecret(current.customerKey)}, not recorded disabled; ` +
          "not marking it OFFBOARDED",
      );
    }
    try {
      await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: keys.practice(step.practiceId),
            UpdateExpression:
              "SET #status = :offboarded, #gsiStatus = :offboarded, version = :version, offboardedAt = :now, " +
              "updatedAt = :now, #details.completedAt = :now",
            ConditionExpression: "#status = :offboarding AND lastExecution = :exec AND version = :expected",
            ExpressionAttributeNames: {
              "#status": "status",
              "#gsiStatus": STATUS_INDEX_PK,
              "#details": "offboarding",
            },
            ExpressionAttributeValues: {
              ":offboarded": "OFFBOARDED",
              ":offboarding": "OFFBOARDING",
              ":version": current.version + 1,
              ":expected": current.version,
              ":exec": step.executionName,
              ":now": now,
            },
          },
        },
        this.auditPut({
          practiceId: step.practiceId,
          at: now,
          action: "OFFBOARDING_COMPLETED",
          actor: step.actor ?? details.requestedBy,
          executionName: step.executionName,
          details: {
            reason: details.reason,
            previousStatus: details.previous.status,
            maskedKey: current.maskedKey ?? null,
            keyDisabled: Boolean(details.keyDisabledAt) && details.keyMissingInPortal !== true,
            keyMissingInPortal: details.keyMissingInPortal === true,
          },
        }),
      ]);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const latest = await this.getPractice(step.practiceId);
      if (latest?.status === "OFFBOARDED" && latest.lastExecution === step.executionName) return latest;
      if (latest?.status === "OFFBOARDING" && latest.lastExecution === step.executionName) {
        throw new ConcurrentModification(`practice ${step.practiceId} changed while being marked OFFBOARDED`);
      }
      throw offboardingClaimLost(step, latest);
    }
    return (await this.getPractice(step.practiceId))!;
  }

  /**
   * Compensation of a failed offboarding: the practice goes back to the status, owner and requester it had
   * before the claim, the failure (keys redacted) is kept in `offboarding` and the audit trail — only while
   * OFFBOARDING by this execution, so nothing stays OFFBOARDING forever and nobody else's work is undone. A
   * practice that is not this execution's any more gets an OFFBOARDING_COMPENSATION_SKIPPED entry instead.
   * Repeating it is a no-op.
   */
  async restoreAfterFailedOffboarding(step: OwnedStep & { readonly reason: string }): Promise<{
    readonly restored: boolean;
    readonly status: PracticeStatus | "UNKNOWN";
    readonly reason: string;
  }> {
    const now = (step.now ?? new Date()).toISOString();
    const reason = sanitizeReason(step.reason);
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const current = await this.getPractice(step.practiceId);
      // No record: the claim never happened, so there is nothing to put back (and nothing is written).
      if (!current) return { restored: false, status: "UNKNOWN", reason };
      const details = current.offboarding;
      if (details?.executionName === step.executionName && details.failedAt) {
        return { restored: true, status: current.status, reason: details.failureReason ?? reason };
      }
      if (
        current.status !== "OFFBOARDING" ||
        current.lastExecution !== step.executionName ||
        details?.executionName !== step.executionName
      ) {
        await this.appendAudit({
          practiceId: step.practiceId,
          action: "OFFBOARDING_COMPENSATION_SKIPPED",
          actor: step.actor ?? current.requestedBy,
          executionName: step.executionName,
          details: { reason, status: current.status },
          now: step.now,
        });
        return { restored: false, status: current.status, reason };
      }
      const previous = details.previous;
      try {
        await this.transact([
          {
            Update: {
              TableName: this.tableName,
              Key: keys.practice(step.practiceId),
              UpdateExpression:
                "SET #status = :previous, #gsiStatus = :previous, version = :version, lastExecution = :previousExec, " +
                "requestedBy = :previousRequestedBy, updatedAt = :now, #details.failedAt = :now, " +
                "#details.failureReason = :reason",
              ConditionExpression: "#status = :offboarding AND lastExecution = :exec AND version = :expected",
              ExpressionAttributeNames: {
                "#status": "status",
                "#gsiStatus": STATUS_INDEX_PK,
                "#details": "offboarding",
              },
              ExpressionAttributeValues: {
                ":previous": previous.status,
                ":offboarding": "OFFBOARDING",
                ":version": current.version + 1,
                ":expected": current.version,
                ":exec": step.executionName,
                ":previousExec": previous.lastExecution,
                ":previousRequestedBy": previous.requestedBy,
                ":reason": reason,
                ":now": now,
              },
            },
          },
          this.auditPut({
            practiceId: step.practiceId,
            at: now,
            action: "OFFBOARDING_FAILED",
            actor: step.actor ?? details.requestedBy,
            executionName: step.executionName,
            details: {
              reason,
              restoredStatus: previous.status,
              maskedKey: current.maskedKey ?? null,
              keyDisabled: Boolean(details.keyDisabledAt) && details.keyMissingInPortal !== true,
            },
          }),
        ]);
        return { restored: true, status: previous.status, reason };
      } catch (error) {
        if (!isConditionFailure(error)) throw error; // changed between our read and write: decide again
      }
    }
    throw new ConcurrentModification(
      `practice ${step.practiceId} kept changing while execution ${step.executionName} tried to restore it`,
    );
  }

  /** The practice as this execution's offboarding claimed it, or ClaimLost. */
  private async ownedOffboarding(
    step: OwnedStep,
    found?: PracticeRecord,
  ): Promise<PracticeRecord & { readonly offboarding: OffboardingDetails }> {
    const current = found ?? (await this.getPractice(step.practiceId));
    if (
      current?.status !== "OFFBOARDING" ||
      current.lastExecution !== step.executionName ||
      current.offboarding?.executionName !== step.executionName
    ) {
      throw offboardingClaimLost(step, current);
    }
    return current as PracticeRecord & { readonly offboarding: OffboardingDetails };
  }
}

const AUDIT_ATTRIBUTES = ["practiceId", "at", "id", "action", "actor", "executionName", "details"] as const;
const KEY_OWNER_ATTRIBUTES = [
  "customerKey",
  "maskedKey",
  "practiceId",
  "createdBy",
  "createdAt",
  "confirmedAt",
  "disabledAt",
  "reenabledAt",
] as const;
const ATTEMPT_ATTRIBUTES = [
  "practiceId",
  "executionName",
  "status",
  "attempts",
  "firstAttemptAt",
  "lastAttemptAt",
  "lostResponses",
  "lostAt",
  "maskedKey",
  "createdAt",
] as const;

/** The sparse status index: only practice records carry these. */
function statusIndex(record: Pick<PracticeRecord, "status" | "practiceId">) {
  return { [STATUS_INDEX_PK]: record.status, [STATUS_INDEX_SK]: record.practiceId };
}

function claimLost(step: OwnedStep, current: PracticeRecord | undefined): ClaimLost {
  return new ClaimLost(
    current
      ? `practice ${step.practiceId} is ${current.status} by execution ${current.lastExecution}, ` +
          `no longer ONBOARDING by ${step.executionName}`
      : `practice ${step.practiceId} has no record; execution ${step.executionName} never claimed it`,
  );
}

function offboardingClaimLost(step: OwnedStep, current: PracticeRecord | undefined): ClaimLost {
  return new ClaimLost(
    current
      ? `practice ${step.practiceId} is ${current.status} by execution ${current.lastExecution}, ` +
          `no longer OFFBOARDING by ${step.executionName}`
      : `practice ${step.practiceId} has no record; execution ${step.executionName} never claimed it`,
  );
}
