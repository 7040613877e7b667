// Onboarding's claim: takes a practice for one onboarding execution, so no other execution can change it until
// that one ends (see conditional-transaction.ts for the read-decide-write shape).
import { keys, PK, type PracticeStatus, STATUS_INDEX_PK } from "../../contracts/table-schema.js";
import { auditPut } from "./audit-trail.js";
import { inClaimRounds, tryTransaction } from "./conditional-transaction.js";
import { notEndedCheck, refuseIfEnded } from "./ended-executions.js";
import { getPractice } from "./practice-reads.js";
import {
  type OnboardingKind,
  type PracticeRecord,
  practiceItem,
  shownKeyOf,
  shownPreviousKeyOf,
} from "./practice-record.js";
import type { PracticeTable } from "./practice-table.js";
import { isStale, issuedAfterLastTransition, lastTransitionOf, type StaleRequest } from "./request-order.js";
import { staleRequestAudit } from "./stale-request-audit.js";

export interface ClaimRequest {
  readonly practiceId: string;
  readonly devRefId: string;
  readonly executionName: string;
  readonly requestedBy: string;
  /** When the request was issued (ISO); absent for executions started before the ordering rule. */
  readonly issuedAt?: string;
  readonly now?: Date;
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
  | { readonly outcome: "inProgress"; readonly owner: string; readonly status: PracticeStatus }
  | StaleRequest;

/**
 * Takes a practice for onboarding by `executionName`. New or FAILED → ONBOARDING ("claimed"); OFFBOARDED →
 * ONBOARDING ("returning", its old key kept as `previousCustomerKey`); ACTIVE → "alreadyActive"; ONBOARDING or
 * OFFBOARDING by another execution → "inProgress". The same execution asking again gets its claim back, so a
 * retried Lambda is harmless. Before any of that, a request issued at or before the practice's last transition
 * is "stale" (request-order.ts): nothing changes but an audit entry.
 */
export function claimForOnboarding(table: PracticeTable, request: ClaimRequest): Promise<ClaimResult> {
  const { practiceId, executionName } = request;
  return inClaimRounds(
    async () => {
      const now = (request.now ?? new Date()).toISOString();
      const current = await getPractice(table, practiceId);
      if (!current) return await claimNew(table, request, now);
      const ownClaim = current.status === "ONBOARDING" && current.lastExecution === executionName;
      const lastTransitionAt = lastTransitionOf(current);
      if (!ownClaim && lastTransitionAt && isStale(request.issuedAt, lastTransitionAt)) {
        await staleRequestAudit(table, {
          request: "onboarding",
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
      switch (current.status) {
        case "ACTIVE":
          return { outcome: "alreadyActive", maskedKey: shownKeyOf(current) };
        case "ONBOARDING":
        case "OFFBOARDING":
          if (current.status === "ONBOARDING" && current.lastExecution === executionName) {
            return current.onboardingKind === "returning" && current.previousCustomerKey
              ? {
                  outcome: "returning",
                  version: current.version,
                  previousMaskedKey: shownPreviousKeyOf(current),
                }
              : { outcome: "claimed", version: current.version };
          }
          return { outcome: "inProgress", owner: current.lastExecution, status: current.status };
        case "FAILED":
        case "OFFBOARDED":
          return await claimExisting(table, request, current, now);
      }
    },
    () => `practice ${practiceId} kept changing while execution ${executionName} tried to claim it`,
  );
}

async function claimNew(
  table: PracticeTable,
  request: ClaimRequest,
  now: string,
): Promise<ClaimResult | undefined> {
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
    lastTransitionAt: now,
  };
  const written = await tryTransaction(table, [
    {
      Put: {
        TableName: table.tableName,
        Item: practiceItem(record),
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PK },
      },
    },
    auditPut(table, {
      practiceId: request.practiceId,
      at: now,
      action: "ONBOARDING_STARTED",
      actor: request.requestedBy,
      executionName: request.executionName,
      details: { previousStatus: null, devRefId: request.devRefId },
    }),
    notEndedCheck(table, "onboarding", request.executionName),
  ]);
  if (written) return { outcome: "claimed", version: 1 };
  await refuseIfEnded(table, "onboarding", request.executionName, request.practiceId);
  return undefined;
}

async function claimExisting(
  table: PracticeTable,
  request: ClaimRequest,
  current: PracticeRecord,
  now: string,
): Promise<ClaimResult | undefined> {
  // An offboarded practice keeps its old key as the candidate to re-enable; a FAILED one starts clean
  // (its key, if any, was disabled by compensation and stays mapped to it through its key item).
  const returningKey = current.status === "OFFBOARDED" ? current.customerKey : undefined;
  const kind: OnboardingKind = returningKey ? "returning" : "new";
  // The key becomes the previous one: its shown form moves with it (docs/architecture.md §4 invariant 13).
  const returningMasked = shownKeyOf(current);
  const version = current.version + 1;
  const ordered = issuedAfterLastTransition(request.issuedAt);
  const written = await tryTransaction(table, [
    {
      Update: {
        TableName: table.tableName,
        Key: keys.practice(request.practiceId),
        UpdateExpression:
          "SET #status = :onboarding, #gsiStatus = :onboarding, version = :version, lastExecution = :exec, " +
          "requestedBy = :requestedBy, devRefId = :devRefId, onboardingKind = :kind, updatedAt = :now, " +
          "lastTransitionAt = :now" +
          (returningKey
            ? ", previousCustomerKey = :previousKey, previousKeyFingerprint = :previousFingerprint, previousMaskedKey = :previousMasked"
            : "") +
          " REMOVE customerKey, maskedKey, keyFingerprint, keyCreatedBy, keyOrigin, failureReason, failedAt" +
          (returningKey ? "" : ", previousCustomerKey, previousKeyFingerprint, previousMaskedKey"),
        ConditionExpression: `version = :expected AND #status = :seen${ordered.expression}`,
        ExpressionAttributeNames: { "#status": "status", "#gsiStatus": STATUS_INDEX_PK },
        ExpressionAttributeValues: {
          ...ordered.values,
          ":onboarding": "ONBOARDING",
          ":version": version,
          ":expected": current.version,
          ":seen": current.status,
          ":exec": request.executionName,
          ":requestedBy": request.requestedBy,
          ":devRefId": request.devRefId,
          ":kind": kind,
          ":now": now,
          ...(returningKey
            ? {
                ":previousKey": returningKey,
                ":previousFingerprint": current.keyFingerprint ?? null,
                ":previousMasked": returningMasked,
              }
            : {}),
        },
      },
    },
    auditPut(table, {
      practiceId: request.practiceId,
      at: now,
      action: "ONBOARDING_STARTED",
      actor: request.requestedBy,
      executionName: request.executionName,
      details: {
        previousStatus: current.status,
        devRefId: request.devRefId,
        ...(returningKey ? { previousMaskedKey: returningMasked } : {}),
      },
    }),
    notEndedCheck(table, "onboarding", request.executionName),
  ]);
  if (!written) {
    await refuseIfEnded(table, "onboarding", request.executionName, request.practiceId);
    return undefined;
  }
  return returningKey
    ? { outcome: "returning", version, previousMaskedKey: returningMasked }
    : { outcome: "claimed", version };
}
