// How an onboarding ends, written by the execution that claimed the practice: ACTIVE with its key confirmed,
// or FAILED with the reason (and its key, if compensation disabled it, marked disabled).
import { keys, STATUS_INDEX_PK } from "../../contracts/table-schema.js";
import { ClaimLost, ConcurrentModification } from "../platform/errors.js";
import { auditPut } from "./audit-trail.js";
import {
  claimLost,
  type OwnedStep,
  type TransactItems,
  transactOrSettle,
} from "./conditional-transaction.js";
import { notEndedCheck, refuseIfEnded } from "./ended-executions.js";
import { ledgerConfirm, ledgerDisable } from "./key-ledger.js";
import { type Announce, outboxPut } from "./outbox-writes.js";
import { getPractice } from "./practice-reads.js";
import {
  fingerprintOfRecord,
  type KeyOrigin,
  type PracticeRecord,
  sanitizeReason,
} from "./practice-record.js";
import type { PracticeTable } from "./practice-table.js";

/**
 * Onboarding done: practice ACTIVE and its key item confirmed, one transaction, only if the practice is still
 * ONBOARDING by this execution at `expectedVersion` and holds a key. Repeating it after success is a no-op.
 * @throws ConcurrentModification when the version moved (retry re-reads); ClaimLost when the claim is gone;
 * ExecutionEnded when the claim release has recorded the execution as ended.
 */
export async function markActive(
  table: PracticeTable,
  step: OwnedStep & { readonly expectedVersion: number; readonly announce?: Announce },
): Promise<PracticeRecord> {
  const at = step.now ?? new Date();
  const now = at.toISOString();
  const current = await getPractice(table, step.practiceId);
  if (current?.status === "ACTIVE" && current.lastExecution === step.executionName) return current;
  if (current?.status !== "ONBOARDING" || current.lastExecution !== step.executionName) {
    throw claimLost(step, current, "ONBOARDING");
  }
  if (!current.customerKey) {
    throw new ClaimLost(`practice ${step.practiceId} has no key recorded; cannot mark it ACTIVE`);
  }
  const keyOrigin: KeyOrigin =
    current.onboardingKind === "returning" && current.previousKeyFingerprint === current.keyFingerprint
      ? "reenabled"
      : "created";
  const {
    previousCustomerKey: _key,
    previousKeyFingerprint: _fingerprint,
    previousMaskedKey: _masked,
    ...kept
  } = current;
  const active: PracticeRecord = {
    ...kept,
    status: "ACTIVE",
    version: step.expectedVersion + 1,
    activatedAt: now,
    updatedAt: now,
    keyOrigin,
  };
  return transactOrSettle(
    table,
    step.practiceId,
    [
      {
        Update: {
          TableName: table.tableName,
          Key: keys.practice(step.practiceId),
          UpdateExpression:
            "SET #status = :active, #gsiStatus = :active, version = :version, activatedAt = :now, updatedAt = :now, " +
            "lastTransitionAt = :now, keyOrigin = :origin REMOVE previousCustomerKey, previousKeyFingerprint, previousMaskedKey",
          ConditionExpression:
            "#status = :onboarding AND lastExecution = :exec AND version = :expected AND keyFingerprint = :fingerprint",
          ExpressionAttributeNames: { "#status": "status", "#gsiStatus": STATUS_INDEX_PK },
          ExpressionAttributeValues: {
            ":active": "ACTIVE",
            ":onboarding": "ONBOARDING",
            ":version": step.expectedVersion + 1,
            ":expected": step.expectedVersion,
            ":exec": step.executionName,
            ":fingerprint": fingerprintOfRecord(current),
            ":now": now,
            ":origin": keyOrigin,
          },
        },
      },
      ledgerConfirm(table, fingerprintOfRecord(current), step.practiceId, now),
      auditPut(table, {
        practiceId: step.practiceId,
        at: now,
        action: "ONBOARDING_COMPLETED",
        actor: step.actor ?? current.requestedBy,
        executionName: step.executionName,
        details: { maskedKey: current.maskedKey ?? null, devRefId: current.devRefId },
      }),
      ...(step.announce ? [outboxPut(table, step.announce(active), at)] : []),
      // Labeling and this record are one invocation, which runs on after a stop: once the claim release has
      // recorded the execution as ended (it then disables the key and marks FAILED), this must not commit.
      notEndedCheck(table, "onboarding", step.executionName),
    ],
    async (latest) => {
      if (latest?.status === "ACTIVE" && latest.lastExecution === step.executionName) return latest;
      await refuseIfEnded(table, "onboarding", step.executionName, step.practiceId, "ACTIVE record");
      if (latest?.status === "ONBOARDING" && latest.lastExecution === step.executionName) {
        throw new ConcurrentModification(
          `practice ${step.practiceId} is at version ${latest.version}, expected ${step.expectedVersion}`,
        );
      }
      throw claimLost(step, latest, "ONBOARDING");
    },
  );
}

/**
 * Onboarding failed: practice FAILED with the reason (keys redacted, truncated), the key item marked disabled
 * when compensation disabled it, and the audit entry — only while ONBOARDING by this execution. Repeating it
 * is a no-op.
 */
export async function markFailed(
  table: PracticeTable,
  step: OwnedStep & { readonly reason: string; readonly keyDisabled?: boolean; readonly announce?: Announce },
): Promise<PracticeRecord> {
  const at = step.now ?? new Date();
  const now = at.toISOString();
  const reason = sanitizeReason(step.reason);
  const current = await getPractice(table, step.practiceId);
  if (current?.status === "FAILED" && current.lastExecution === step.executionName) return current;
  if (current?.status !== "ONBOARDING" || current.lastExecution !== step.executionName) {
    throw claimLost(step, current, "ONBOARDING");
  }
  const items: TransactItems = [
    {
      Update: {
        TableName: table.tableName,
        Key: keys.practice(step.practiceId),
        UpdateExpression:
          "SET #status = :failed, #gsiStatus = :failed, version = :version, failureReason = :reason, " +
          "failedAt = :now, updatedAt = :now, lastTransitionAt = :now",
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
    auditPut(table, {
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
    items.push(ledgerDisable(table, fingerprintOfRecord(current), step.practiceId, now));
  }
  if (step.announce) {
    const failed: PracticeRecord = {
      ...current,
      status: "FAILED",
      version: current.version + 1,
      failureReason: reason,
      failedAt: now,
      updatedAt: now,
    };
    items.push(outboxPut(table, step.announce(failed), at));
  }
  return transactOrSettle(table, step.practiceId, items, (latest) => {
    if (latest?.status === "FAILED" && latest.lastExecution === step.executionName) return latest;
    if (latest?.status === "ONBOARDING" && latest.lastExecution === step.executionName) {
      throw new ConcurrentModification(`practice ${step.practiceId} changed while being marked FAILED`);
    }
    throw claimLost(step, latest, "ONBOARDING");
  });
}
