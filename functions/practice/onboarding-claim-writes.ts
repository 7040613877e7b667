// Onboarding's claim: takes a practice for one onboarding execution, so no other execution can change it until
// that one ends (see conditional-transaction.ts for the read-decide-write shape).
import { keys, PK, type PracticeStatus, STATUS_INDEX_PK } from "../../contracts/table-schema.js";
import { maskSecret } from "../platform/mask.js";
import { auditPut } from "./audit-trail.js";
import { inClaimRounds, tryTransaction } from "./conditional-transaction.js";
import { getPractice } from "./practice-reads.js";
import { type OnboardingKind, type PracticeRecord, practiceItem } from "./practice-record.js";
import type { PracticeTable } from "./practice-table.js";

export interface ClaimRequest {
  readonly practiceId: string;
  readonly devRefId: string;
  readonly executionName: string;
  readonly requestedBy: string;
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
  | { readonly outcome: "inProgress"; readonly owner: string; readonly status: PracticeStatus };

/**
 * Takes a practice for onboarding by `executionName`. New or FAILED → ONBOARDING ("claimed"); OFFBOARDED →
 * ONBOARDING ("returning", its old key kept as `previousCustomerKey`); ACTIVE → "alreadyActive"; ONBOARDING or
 * OFFBOARDING by another execution → "inProgress". The same execution asking again gets its claim back, so a
 * retried Lambda is harmless.
 */
export function claimForOnboarding(table: PracticeTable, request: ClaimRequest): Promise<ClaimResult> {
  const { practiceId, executionName } = request;
  return inClaimRounds(
    async () => {
      const now = (request.now ?? new Date()).toISOString();
      const current = await getPractice(table, practiceId);
      if (!current) return await claimNew(table, request, now);
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
                  previousMaskedKey: current.previousMaskedKey ?? maskSecret(current.previousCustomerKey),
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
  ]);
  return written ? { outcome: "claimed", version: 1 } : undefined;
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
  const version = current.version + 1;
  const written = await tryTransaction(table, [
    {
      Update: {
        TableName: table.tableName,
        Key: keys.practice(request.practiceId),
        UpdateExpression:
          "SET #status = :onboarding, #gsiStatus = :onboarding, version = :version, lastExecution = :exec, " +
          "requestedBy = :requestedBy, devRefId = :devRefId, onboardingKind = :kind, updatedAt = :now" +
          (returningKey
            ? ", previousCustomerKey = :previousKey, previousKeyFingerprint = :previousFingerprint, previousMaskedKey = :previousMasked"
            : "") +
          " REMOVE customerKey, maskedKey, keyFingerprint, keyCreatedBy, keyOrigin, failureReason, failedAt" +
          (returningKey ? "" : ", previousCustomerKey, previousKeyFingerprint, previousMaskedKey"),
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
          ...(returningKey
            ? {
                ":previousKey": returningKey,
                ":previousFingerprint": current.keyFingerprint ?? null,
                ":previousMasked": current.maskedKey ?? maskSecret(returningKey),
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
        ...(returningKey ? { previousMaskedKey: maskSecret(returningKey) } : {}),
      },
    }),
  ]);
  if (!written) return undefined;
  return returningKey
    ? { outcome: "returning", version, previousMaskedKey: maskSecret(returningKey) }
    : { outcome: "claimed", version };
}
