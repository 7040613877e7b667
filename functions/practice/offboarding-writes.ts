// The Offboarding workflow's writes: startOffboarding → recordOffboardingKeyDisabled → completeOffboarding, or
// restoreAfterFailedOffboarding when a step after the claim fails. The practice record's `offboarding`
// attribute carries the whole story, so the steps pass nothing but the practice id between them.
import { keys, type PracticeStatus, STATUS_INDEX_PK } from "../../contracts/table-schema.js";
import { ConcurrentModification, KeyConflict, PracticeBusy, PracticeNotFound } from "../platform/errors.js";
import { appendAudit, auditPut } from "./audit-trail.js";
import {
  claimLost,
  inClaimRounds,
  type OwnedStep,
  type TransactItems,
  transactOrSettle,
  tryTransaction,
} from "./conditional-transaction.js";
import { notEndedCheck, refuseIfEnded } from "./ended-executions.js";
import { getKeyOwner, ledgerDisable } from "./key-ledger.js";
import { type Announce, outboxPut } from "./outbox-writes.js";
import { getPractice } from "./practice-reads.js";
import {
  fingerprintOfRecord,
  type OffboardingDetails,
  type PracticeRecord,
  sanitizeReason,
  shownKeyOf,
} from "./practice-record.js";
import type { PracticeTable } from "./practice-table.js";
import { isStale, issuedAfterLastTransition, lastTransitionOf, type StaleRequest } from "./request-order.js";
import { staleRequestAudit } from "./stale-request-audit.js";

export interface OffboardingStartRequest {
  readonly practiceId: string;
  readonly executionName: string;
  readonly requestedBy: string;
  /** Validated offboarding reason (offboarding-input.ts). */
  readonly reason: string;
  /** When the request was issued (ISO); absent for executions started before the ordering rule. */
  readonly issuedAt?: string;
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
  | { readonly outcome: "alreadyOffboarded"; readonly maskedKey?: string; readonly offboardedAt?: string }
  | StaleRequest;

/** Statuses an offboarding may start from; the in-between ones belong to a running execution. */
const OFFBOARDABLE_STATUSES: readonly PracticeStatus[] = ["ACTIVE", "FAILED"];

type OwnedOffboarding = PracticeRecord & { readonly offboarding: OffboardingDetails };

/**
 * Claims a practice for offboarding by `executionName`: ACTIVE or FAILED → OFFBOARDING (conditional on the
 * version read), remembering what it was (to put it back on failure) and why it is offboarded; OFFBOARDED →
 * "alreadyOffboarded" with nothing written. The same execution asking again gets its claim back. Before any of
 * that, a request issued at or before the practice's last transition is "stale" (request-order.ts): nothing
 * changes but an audit entry.
 * @throws PracticeNotFound for a practice the table does not know (nothing written).
 * @throws PracticeBusy while another execution onboards or offboards it (nothing written).
 */
export function startOffboarding(
  table: PracticeTable,
  request: OffboardingStartRequest,
): Promise<OffboardingStart> {
  const { practiceId, executionName } = request;
  return inClaimRounds<OffboardingStart>(
    async () => {
      const now = (request.now ?? new Date()).toISOString();
      const current = await getPractice(table, practiceId);
      if (!current) {
        throw new PracticeNotFound(`practice ${practiceId} is not in the table; nothing to offboard`);
      }
      const masked = current.maskedKey ? { maskedKey: current.maskedKey } : {};
      const ownClaim = current.status === "OFFBOARDING" && current.lastExecution === executionName;
      const lastTransitionAt = lastTransitionOf(current);
      if (!ownClaim && lastTransitionAt && isStale(request.issuedAt, lastTransitionAt)) {
        await staleRequestAudit(table, {
          request: "offboarding",
          practiceId,
          executionName,
          actor: request.requestedBy,
          issuedAt: request.issuedAt!,
          lastTransitionAt,
          status: current.status,
          now,
        });
        return { outcome: "stale", issuedAt: request.issuedAt!, lastTransitionAt, status: current.status };
      }
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
      const ordered = issuedAfterLastTransition(request.issuedAt);
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
      const written = await tryTransaction(table, [
        {
          Update: {
            TableName: table.tableName,
            Key: keys.practice(practiceId),
            UpdateExpression:
              "SET #status = :offboarding, #gsiStatus = :offboarding, version = :version, lastExecution = :exec, " +
              "requestedBy = :requestedBy, updatedAt = :now, lastTransitionAt = :now, #details = :details",
            ConditionExpression: `version = :expected AND #status = :seen${ordered.expression}`,
            ExpressionAttributeNames: {
              "#status": "status",
              "#gsiStatus": STATUS_INDEX_PK,
              "#details": "offboarding",
            },
            ExpressionAttributeValues: {
              ...ordered.values,
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
        auditPut(table, {
          practiceId,
          at: now,
          action: "OFFBOARDING_STARTED",
          actor: request.requestedBy,
          executionName,
          details: { previousStatus: current.status, maskedKey: current.maskedKey ?? null, reason },
        }),
        notEndedCheck(table, "offboarding", executionName),
      ]);
      if (!written) {
        await refuseIfEnded(table, "offboarding", executionName, practiceId);
        return undefined; // changed between our read and write: decide again
      }
      return { outcome: "claimed", version: current.version + 1, previousStatus: current.status, ...masked };
    },
    () => `practice ${practiceId} kept changing while execution ${executionName} tried to offboard it`,
  );
}

/**
 * The portal confirmed the practice's key disabled (`portalKeyStatus` as answered), or said it does not know
 * the key (`keyMissingInPortal`): noted on the record and in the audit trail, and the key item marked disabled
 * — only while OFFBOARDING by this execution with that key. Repeating it is a no-op.
 * @throws ClaimLost when the practice is no longer OFFBOARDING by this execution.
 */
export async function recordOffboardingKeyDisabled(
  table: PracticeTable,
  step: OwnedStep & { readonly keyMissingInPortal: boolean; readonly portalKeyStatus?: string },
): Promise<PracticeRecord> {
  const now = (step.now ?? new Date()).toISOString();
  const current = ownedOffboarding(step, await getPractice(table, step.practiceId));
  if (current.offboarding.keyDisabledAt) return current;
  const customerKey = current.customerKey;
  if (!customerKey) throw new KeyConflict(`practice ${step.practiceId} holds no key to record as disabled`);
  const maskedKey = shownKeyOf(current);
  const keyFingerprint = fingerprintOfRecord(current);
  const owner = await getKeyOwner(table, keyFingerprint);
  const items: TransactItems = [
    {
      Update: {
        TableName: table.tableName,
        Key: keys.practice(step.practiceId),
        UpdateExpression:
          "SET #details.keyDisabledAt = :now, #details.keyMissingInPortal = :missing, updatedAt = :now" +
          (step.portalKeyStatus ? ", #details.portalKeyStatus = :portalStatus" : "") +
          " ADD version :one",
        ConditionExpression:
          "#status = :offboarding AND lastExecution = :exec AND keyFingerprint = :fingerprint AND #details.executionName = :exec",
        ExpressionAttributeNames: { "#status": "status", "#details": "offboarding" },
        ExpressionAttributeValues: {
          ":now": now,
          ":missing": step.keyMissingInPortal,
          ":one": 1,
          ":offboarding": "OFFBOARDING",
          ":exec": step.executionName,
          ":fingerprint": keyFingerprint,
          ...(step.portalKeyStatus ? { ":portalStatus": step.portalKeyStatus } : {}),
        },
      },
    },
    auditPut(table, {
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
    items.push(ledgerDisable(table, keyFingerprint, step.practiceId, now));
  }
  return transactOrSettle(table, step.practiceId, items, (found) => {
    const latest = ownedOffboarding(step, found);
    if (latest.offboarding.keyDisabledAt) return latest;
    throw new ConcurrentModification(`practice ${step.practiceId} changed while its key was being recorded`);
  });
}

/**
 * Offboarding done: practice OFFBOARDED with the time (its key kept, to re-enable if it returns), one audit
 * entry with the reason — only while OFFBOARDING by this execution, and only once a key it holds was recorded
 * disabled (or missing). Repeating it after success is a no-op.
 * @throws ClaimLost when the claim is gone; KeyConflict when its key was never recorded disabled.
 */
export async function completeOffboarding(
  table: PracticeTable,
  step: OwnedStep & { readonly announce?: Announce },
): Promise<PracticeRecord> {
  const at = step.now ?? new Date();
  const now = at.toISOString();
  const found = await getPractice(table, step.practiceId);
  if (
    found?.status === "OFFBOARDED" &&
    found.lastExecution === step.executionName &&
    found.offboarding?.completedAt
  ) {
    return found;
  }
  const current = ownedOffboarding(step, found);
  const details = current.offboarding;
  if (current.customerKey && !details.keyDisabledAt) {
    throw new KeyConflict(
      `practice ${step.practiceId} holds key ${shownKeyOf(current)}, not recorded disabled; ` +
        "not marking it OFFBOARDED",
    );
  }
  const offboarded: PracticeRecord = {
    ...current,
    status: "OFFBOARDED",
    version: current.version + 1,
    offboardedAt: now,
    updatedAt: now,
    offboarding: { ...details, completedAt: now },
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
            "SET #status = :offboarded, #gsiStatus = :offboarded, version = :version, offboardedAt = :now, " +
            "updatedAt = :now, lastTransitionAt = :now, #details.completedAt = :now",
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
      auditPut(table, {
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
      ...(step.announce ? [outboxPut(table, step.announce(offboarded), at)] : []),
    ],
    (latest) => {
      if (latest?.status === "OFFBOARDED" && latest.lastExecution === step.executionName) return latest;
      if (latest?.status === "OFFBOARDING" && latest.lastExecution === step.executionName) {
        throw new ConcurrentModification(`practice ${step.practiceId} changed while being marked OFFBOARDED`);
      }
      throw claimLost(step, latest, "OFFBOARDING");
    },
  );
}

export interface OffboardingRestore {
  readonly restored: boolean;
  readonly status: PracticeStatus | "UNKNOWN";
  readonly reason: string;
}

/**
 * Compensation of a failed offboarding: the practice goes back to the status, owner and requester it had
 * before the claim, the failure (keys redacted) is kept in `offboarding` and the audit trail — only while
 * OFFBOARDING by this execution, so nothing stays OFFBOARDING forever and nobody else's work is undone. A
 * practice that is not this execution's any more gets an OFFBOARDING_COMPENSATION_SKIPPED entry instead.
 * Repeating it is a no-op.
 */
export function restoreAfterFailedOffboarding(
  table: PracticeTable,
  step: OwnedStep & { readonly reason: string },
): Promise<OffboardingRestore> {
  const now = (step.now ?? new Date()).toISOString();
  const reason = sanitizeReason(step.reason);
  return inClaimRounds<OffboardingRestore>(
    async () => {
      const current = await getPractice(table, step.practiceId);
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
        await appendAudit(table, {
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
      const written = await tryTransaction(table, [
        {
          Update: {
            TableName: table.tableName,
            Key: keys.practice(step.practiceId),
            UpdateExpression:
              "SET #status = :previous, #gsiStatus = :previous, version = :version, lastExecution = :previousExec, " +
              "requestedBy = :previousRequestedBy, updatedAt = :now, lastTransitionAt = :now, #details.failedAt = :now, " +
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
        auditPut(table, {
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
      // Not written: changed between our read and write, decide again.
      return written ? { restored: true, status: previous.status, reason } : undefined;
    },
    () =>
      `practice ${step.practiceId} kept changing while execution ${step.executionName} tried to restore it`,
  );
}

/** The practice as this execution's offboarding claimed it, or ClaimLost. */
function ownedOffboarding(step: OwnedStep, current: PracticeRecord | undefined): OwnedOffboarding {
  if (
    current?.status !== "OFFBOARDING" ||
    current.lastExecution !== step.executionName ||
    current.offboarding?.executionName !== step.executionName
  ) {
    throw claimLost(step, current, "OFFBOARDING");
  }
  return current as OwnedOffboarding;
}
