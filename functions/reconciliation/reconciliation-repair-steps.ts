// One planned repair, re-checked against the table right before it is made (the run's view may be minutes
// old), made through the rate-limited portal client, and written to the practice's audit trail as `reconciler`.
//
// Retryable failures (throttling, outages) are thrown for Step Functions to retry; every repair is idempotent.
// A refusal (400, 401) is the repair's outcome — "failed" — and is left for a person.
import { announcing } from "../domain-events/outbox-message.js";
import {
  practiceOffboardedEvent,
  practiceOnboardedEvent,
  practiceOnboardingFailedEvent,
} from "../domain-events/practice-events.js";
import { maskCustomerKey } from "../key-custody/masked-key.js";
import { PortalNotFound, PortalRejected, PortalUnauthorized } from "../platform/errors.js";
import type { StepLogger } from "../platform/step-logger.js";
import { isEnabledKeyStatus, type PortalClient } from "../portal/portal-types.js";
import { shownKeyOf } from "../practice/practice-record.js";
import type { PracticeStore } from "../practice/practice-store.js";
import type { PlannedRepair } from "../practice/reconciliation-scratch.js";
import type { ReconciliationStore } from "../practice/reconciliation-store.js";
import type { ExecutionLookup, ReconciliationParams } from "./reconciliation-classify.js";

/** The audit actor of every repair. */
export const RECONCILER_ACTOR = "reconciler";
/** `reason` of the PracticeOnboardingFailed a stuck onboarding that reconciliation failed announces. */
export const STUCK_ERROR_NAME = "ReconciliationFoundStuck";

export interface RepairDeps {
  readonly store: PracticeStore;
  readonly runs: ReconciliationStore;
  readonly portal: PortalClient;
  readonly executions?: ExecutionLookup;
  readonly logger?: StepLogger;
}

export interface RepairResult {
  readonly outcome: "done" | "skipped" | "failed";
  /** What happened, for the run's records; masked keys only. */
  readonly note: string;
}

function refusal(error: unknown): RepairResult | undefined {
  if (error instanceof PortalRejected || error instanceof PortalUnauthorized) {
    return { outcome: "failed", note: `${error.name}: ${error.message}` };
  }
  return undefined;
}

export async function executeRepair(
  deps: RepairDeps,
  run: ReconciliationParams,
  repair: PlannedRepair,
  now: () => Date,
): Promise<RepairResult> {
  try {
    switch (repair.type) {
      case "DISABLE_KEY":
        return await disableKey(deps, run, repair, now);
      case "RELABEL_KEY":
        return await relabelKey(deps, run, repair);
      case "FINISH_STUCK":
        return await finishStuck(deps, run, repair);
    }
  } catch (error) {
    const refused = refusal(error);
    if (refused) {
      deps.logger?.warn("repair refused", {
        type: repair.type,
        practiceId: repair.practiceId,
        error: refused.note,
      });
      return refused;
    }
    throw error;
  }
}

async function disableKey(
  deps: RepairDeps,
  run: ReconciliationParams,
  repair: Extract<PlannedRepair, { type: "DISABLE_KEY" }>,
  now: () => Date,
): Promise<RepairResult> {
  // The run's ciphertext, opened to send it to the portal (this function holds kms:Decrypt; §4 invariant 13).
  const customerKey = await deps.runs.revealScratchKey(run.runId, repair.customerKey);
  const maskedKey = maskCustomerKey(customerKey, repair.keyFingerprint);
  const owner = await deps.store.getKeyOwner(repair.keyFingerprint);
  const practice = await deps.store.getPractice(owner?.practiceId ?? repair.practiceId);
  if (repair.category === "UNMAPPED_KEY_OURS") {
    if (!owner) return { outcome: "skipped", note: `key ${maskedKey} is no longer in the ledger` };
    if (practice?.keyFingerprint === repair.keyFingerprint) {
      return { outcome: "skipped", note: `key ${maskedKey} is now held by practice ${practice.practiceId}` };
    }
  } else if (
    practice?.keyFingerprint !== repair.keyFingerprint ||
    (practice.status !== "OFFBOARDED" && practice.status !== "FAILED")
  ) {
    return {
      outcome: "skipped",
      note: `practice ${repair.practiceId} is ${practice?.status ?? "gone"} or no longer holds key ${maskedKey}`,
    };
  }
  let keyStatus: string;
  try {
    keyStatus = (await deps.portal.updateKey({ customerKey, keyStatus: "DisabledByDeveloper" })).keyStatus;
  } catch (error) {
    if (!(error instanceof PortalNotFound)) throw error;
    return { outcome: "skipped", note: `the portal no longer knows key ${maskedKey}` };
  }
  await deps.runs.markLedgerDisabled(repair.keyFingerprint, now());
  await deps.store.appendAudit({
    practiceId: repair.practiceId,
    action: "RECONCILER_KEY_DISABLED",
    actor: RECONCILER_ACTOR,
    executionName: run.runId,
    details: { maskedKey, category: repair.category, keyStatus },
  });
  return { outcome: "done", note: `key ${maskedKey} disabled (${repair.category})` };
}

async function relabelKey(
  deps: RepairDeps,
  run: ReconciliationParams,
  repair: Extract<PlannedRepair, { type: "RELABEL_KEY" }>,
): Promise<RepairResult> {
  const customerKey = await deps.runs.revealScratchKey(run.runId, repair.customerKey);
  const maskedKey = maskCustomerKey(customerKey, repair.keyFingerprint);
  const practice = await deps.store.getPractice(repair.practiceId);
  if (practice?.status !== "ACTIVE" || practice.keyFingerprint !== repair.keyFingerprint) {
    return {
      outcome: "skipped",
      note: `practice ${repair.practiceId} is ${practice?.status ?? "gone"} or no longer holds key ${maskedKey}`,
    };
  }
  await deps.portal.updateKey({ customerKey, devRefId: practice.devRefId });
  await deps.store.appendAudit({
    practiceId: repair.practiceId,
    action: "RECONCILER_KEY_RELABELED",
    actor: RECONCILER_ACTOR,
    executionName: run.runId,
    details: { maskedKey, category: "LABEL_DRIFT", devRefId: practice.devRefId },
  });
  return { outcome: "done", note: `key ${maskedKey} re-labeled` };
}

/**
 * A practice left ONBOARDING/OFFBOARDING by an execution that is gone. Onboarding: its key (if the record
 * holds one and the portal lists it enabled) is labeled and the practice made ACTIVE; otherwise it is FAILED —
 * never a new key. Offboarding: the key is disabled and the practice OFFBOARDED.
 */
async function finishStuck(
  deps: RepairDeps,
  run: ReconciliationParams,
  repair: Extract<PlannedRepair, { type: "FINISH_STUCK" }>,
): Promise<RepairResult> {
  const practice = await deps.store.getPractice(repair.practiceId);
  if (practice?.status !== repair.status || practice.lastExecution !== repair.lastExecution) {
    return {
      outcome: "skipped",
      note: `practice ${repair.practiceId} moved on (${practice?.status ?? "gone"})`,
    };
  }
  const execution = await deps.executions?.status(repair.status, repair.lastExecution);
  if (execution === undefined || execution === "RUNNING" || execution === "UNKNOWN") {
    return { outcome: "skipped", note: `execution ${repair.lastExecution} is ${execution ?? "UNKNOWN"}` };
  }
  const step = {
    practiceId: practice.practiceId,
    executionName: practice.lastExecution,
    actor: RECONCILER_ACTOR,
  };
  const key = practice.customerKey ? await deps.runs.revealCustomerKey(practice) : undefined;
  const maskedKey = key ? shownKeyOf(practice) : "";
  const keyEnabled = repair.seenKey !== undefined && isEnabledKeyStatus(repair.seenKey.keyStatus);

  if (repair.status === "OFFBOARDING") {
    let portalKeyStatus = repair.seenKey?.keyStatus;
    let keyMissingInPortal = Boolean(key) && repair.seenKey === undefined;
    if (key && keyEnabled) {
      try {
        portalKeyStatus = (
          await deps.portal.updateKey({ customerKey: key, keyStatus: "DisabledByDeveloper" })
        ).keyStatus;
      } catch (error) {
        if (!(error instanceof PortalNotFound)) throw error;
        keyMissingInPortal = true;
      }
    }
    // Finish the Offboarding workflow's own steps, as it would have (its claim is the only way into OFFBOARDING).
    if (key && !practice.offboarding?.keyDisabledAt) {
      await deps.store.recordOffboardingKeyDisabled({
        ...step,
        keyMissingInPortal,
        ...(portalKeyStatus && !keyMissingInPortal ? { portalKeyStatus } : {}),
      });
    }
    await deps.store.completeOffboarding({
      ...step,
      announce: announcing((offboarded) => practiceOffboardedEvent(offboarded, step.executionName)),
    });
    return { outcome: "done", note: `stuck offboarding finished${key ? `, key ${maskedKey} disabled` : ""}` };
  }

  if (key && keyEnabled) {
    if (repair.seenKey!.devRefId !== practice.devRefId) {
      await deps.portal.updateKey({ customerKey: key, devRefId: practice.devRefId });
      await deps.store.appendAudit({
        ...step,
        action: "KEY_LABELED",
        details: { maskedKey, devRefId: practice.devRefId, runId: run.runId },
      });
    }
    await deps.store.markActive({
      ...step,
      expectedVersion: practice.version,
      announce: announcing((active) => practiceOnboardedEvent(active, step.executionName)),
    });
    return { outcome: "done", note: `stuck onboarding completed with key ${maskedKey}` };
  }
  const reason = key
    ? `stuck: key ${maskedKey} is ${repair.seenKey ? repair.seenKey.keyStatus : "not listed by the portal"}`
    : "stuck";
  await deps.store.markFailed({
    ...step,
    reason,
    keyDisabled: Boolean(key),
    announce: announcing((failed) =>
      practiceOnboardingFailedEvent(failed, step.executionName, STUCK_ERROR_NAME),
    ),
  });
  return { outcome: "done", note: `stuck onboarding marked FAILED (${reason})` };
}
