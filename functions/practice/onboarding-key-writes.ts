// Onboarding's key writes, by the execution that claimed the practice: the create attempt noted before each
// `POST /apikeys`, a lost answer, the key created, or a returning practice's previous key re-enabled.
import { keys } from "../../contracts/table-schema.js";
import { maskCustomerKey } from "../key-custody/masked-key.js";
import { ConcurrentModification, ConfigurationError, KeyConflict } from "../platform/errors.js";
import type { PortalKey } from "../portal/portal-types.js";
import { auditPut } from "./audit-trail.js";
import { claimLost, type OwnedStep, transact, transactOrSettle } from "./conditional-transaction.js";
import {
  attemptAnsweredNothing,
  attemptKeyCreated,
  attemptPostSent,
  attemptResponseLost,
  type CreateAttemptRecord,
  getCreateAttempt,
} from "./create-attempts.js";
import { getKeyOwner, ledgerAddCreated, ledgerReenable } from "./key-ledger.js";
import { getPractice } from "./practice-reads.js";
import { type PracticeRecord, shownPreviousKeyOf } from "./practice-record.js";
import { fingerprintOf, type PracticeTable } from "./practice-table.js";
import { encryptCustomerKey } from "./stored-customer-key.js";

/**
 * Records, before `POST /apikeys` is sent, that this execution is about to create a key — so an answer that
 * never arrives still leaves a trace. Refuses (ClaimLost) unless the practice is ONBOARDING, owned by this
 * execution and without a key; ConcurrentModification if a key appeared meanwhile (the retry finds it).
 */
export function recordCreateAttempt(table: PracticeTable, step: OwnedStep): Promise<CreateAttemptRecord> {
  const now = (step.now ?? new Date()).toISOString();
  return transactOrSettle<CreateAttemptRecord>(
    table,
    step.practiceId,
    [
      {
        ConditionCheck: {
          TableName: table.tableName,
          Key: keys.practice(step.practiceId),
          ConditionExpression:
            "#status = :onboarding AND lastExecution = :exec AND attribute_not_exists(customerKey)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":onboarding": "ONBOARDING", ":exec": step.executionName },
        },
      },
      attemptPostSent(table, step, now),
    ],
    (current) => {
      if (current?.status === "ONBOARDING" && current.lastExecution === step.executionName) {
        throw new ConcurrentModification(
          `practice ${step.practiceId} already holds key ${current.maskedKey ?? "?"}; not creating another`,
        );
      }
      throw claimLost(step, current, "ONBOARDING");
    },
    async () => (await getCreateAttempt(table, step.practiceId, step.executionName))!,
  );
}

/** The answer to a POST never arrived (or was unreadable): the portal may hold a key nobody recorded. */
export async function markCreateResponseLost(
  table: PracticeTable,
  step: OwnedStep & { readonly errorName: string },
): Promise<void> {
  const now = (step.now ?? new Date()).toISOString();
  const actor = step.actor ?? (await actorFor(table, step.practiceId));
  await transact(table, [
    attemptResponseLost(table, step, step.errorName, now),
    auditPut(table, {
      practiceId: step.practiceId,
      at: now,
      action: "KEY_CREATE_RESPONSE_LOST",
      actor,
      executionName: step.executionName,
      details: { error: step.errorName },
    }),
  ]);
}

/** The POST certainly created nothing (refused, or never sent): it no longer counts as a possibly-created key. */
export async function markCreateAnsweredNothing(
  table: PracticeTable,
  step: OwnedStep & { readonly errorName: string },
): Promise<void> {
  const now = (step.now ?? new Date()).toISOString();
  await transact(table, [attemptAnsweredNothing(table, step, step.errorName, now)]);
}

/**
 * Stores the key `POST /apikeys` just returned, in the same invocation: the practice gets the key (only if it
 * is still ONBOARDING by this execution and has none), the key → practice item is created (only if no practice
 * has that key), the attempt becomes CREATED, and the audit says so — one transaction. Recording the same key
 * again for the same execution is a no-op.
 * @throws KeyConflict when the practice already holds another key or the key belongs to another practice.
 * @throws ClaimLost when the practice is no longer ONBOARDING by this execution.
 */
export async function recordKeyCreated(
  table: PracticeTable,
  step: OwnedStep & { readonly key: PortalKey },
): Promise<PracticeRecord> {
  const now = (step.now ?? new Date()).toISOString();
  const { customerKey } = step.key;
  // Computed here, where the key is first seen; every later step reads it from the record (§4).
  const keyFingerprint = await fingerprintOf(table, customerKey);
  // Encrypted here, where the plaintext arrives: the table only ever holds the ciphertext (§4 invariant 13).
  const storedKey = await encryptCustomerKey(table, customerKey, { practiceId: step.practiceId });
  const maskedKey = maskCustomerKey(customerKey, keyFingerprint);
  const actor = step.actor ?? (await actorFor(table, step.practiceId));
  return transactOrSettle(
    table,
    step.practiceId,
    [
      {
        Update: {
          TableName: table.tableName,
          Key: keys.practice(step.practiceId),
          UpdateExpression:
            "SET customerKey = :key, maskedKey = :masked, keyFingerprint = :fingerprint, keyCreatedBy = :exec, " +
            "updatedAt = :now ADD version :one",
          ConditionExpression:
            "#status = :onboarding AND lastExecution = :exec AND attribute_not_exists(customerKey)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":key": storedKey,
            ":masked": maskedKey,
            ":fingerprint": keyFingerprint,
            ":exec": step.executionName,
            ":now": now,
            ":one": 1,
            ":onboarding": "ONBOARDING",
          },
        },
      },
      ledgerAddCreated(table, {
        keyFingerprint,
        maskedKey,
        practiceId: step.practiceId,
        createdBy: step.executionName,
        createdAt: now,
      }),
      attemptKeyCreated(table, step, maskedKey, now),
      auditPut(table, {
        practiceId: step.practiceId,
        at: now,
        action: "KEY_CREATED",
        actor,
        executionName: step.executionName,
        details: { maskedKey, keyStatus: step.key.keyStatus },
      }),
    ],
    async (current) => {
      if (current?.keyFingerprint === keyFingerprint && current.keyCreatedBy === step.executionName)
        return current;
      const owner = await getKeyOwner(table, keyFingerprint);
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
      throw claimLost(step, current, "ONBOARDING");
    },
  );
}

/**
 * Returning practice: the portal re-enabled its previous key, which becomes its key again (only while
 * ONBOARDING by this execution, without a key, and the key is still mapped to this practice).
 */
export async function recordKeyReenabled(table: PracticeTable, step: OwnedStep): Promise<PracticeRecord> {
  const now = (step.now ?? new Date()).toISOString();
  const current = await getPractice(table, step.practiceId);
  if (current?.status !== "ONBOARDING" || current.lastExecution !== step.executionName) {
    throw claimLost(step, current, "ONBOARDING");
  }
  if (current.customerKey && current.keyCreatedBy === step.executionName) return current;
  const previous = current.previousCustomerKey;
  const previousFingerprint = current.previousKeyFingerprint;
  if (!previous) throw new KeyConflict(`practice ${step.practiceId} has no previous key to re-enable`);
  if (!previousFingerprint)
    throw new ConfigurationError(
      `practice ${step.practiceId}'s previous key has no fingerprint: run \`ops migrate-keys\` first`,
    );
  const maskedKey = shownPreviousKeyOf(current);
  return transactOrSettle(
    table,
    step.practiceId,
    [
      {
        Update: {
          TableName: table.tableName,
          Key: keys.practice(step.practiceId),
          UpdateExpression:
            "SET customerKey = :key, maskedKey = :masked, keyFingerprint = :fingerprint, keyCreatedBy = :exec, " +
            "updatedAt = :now ADD version :one",
          ConditionExpression:
            "#status = :onboarding AND lastExecution = :exec AND attribute_not_exists(customerKey) AND previousKeyFingerprint = :fingerprint",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":key": previous,
            ":masked": maskedKey,
            ":fingerprint": previousFingerprint,
            ":exec": step.executionName,
            ":now": now,
            ":one": 1,
            ":onboarding": "ONBOARDING",
          },
        },
      },
      ledgerReenable(table, { ...step, keyFingerprint: previousFingerprint, maskedKey }, now),
      auditPut(table, {
        practiceId: step.practiceId,
        at: now,
        action: "KEY_REENABLED",
        actor: step.actor ?? current.requestedBy,
        executionName: step.executionName,
        details: { maskedKey },
      }),
    ],
    (latest) => {
      if (latest?.keyFingerprint === previousFingerprint && latest.keyCreatedBy === step.executionName)
        return latest;
      if (latest?.status === "ONBOARDING" && latest.lastExecution === step.executionName) {
        throw new KeyConflict(
          `key ${maskedKey} is mapped to another practice; not re-enabled for ${step.practiceId}`,
        );
      }
      throw claimLost(step, latest, "ONBOARDING");
    },
  );
}

async function actorFor(table: PracticeTable, practiceId: string): Promise<string> {
  return (await getPractice(table, practiceId))?.requestedBy ?? "unknown";
}
