// The offboarding workflow's steps as plain functions of their dependencies (store, portal client), so the
// Lambda handlers stay thin and tests run them against DynamoDB Local and the portal simulator.
//
// State carries the practice id and a masked key only: each step reads the key, the reason and the actor from
// the practice record, where the claim wrote them.

import type { PracticeStatus } from "../../contracts/table-schema.js";
import type { DomainEventInput } from "../domain-events/domain-events.js";
import { announcing } from "../domain-events/outbox-message.js";
import { practiceOffboardedEvent } from "../domain-events/practice-events.js";
import { type CaughtError, describeCaughtError } from "../platform/caught-error.js";
import { ClaimLost, PortalNotFound, PortalRejected } from "../platform/errors.js";
import { type StepLogger, silentLogger } from "../platform/step-logger.js";
import { findPortalKey, isRevokedKeyStatus } from "../portal/portal-key-lookup.js";
import { withSecretHint } from "../portal/portal-secret-hint.js";
import type { KeyStatus, PortalClient } from "../portal/portal-types.js";
import { shownKeyOf } from "../practice/practice-record.js";
import type { PracticeStore } from "../practice/practice-store.js";
import { parseOffboardingRequest } from "./offboarding-input.js";

/** The store, the rate-limited portal client, and the secret named in a 401. */
export interface OffboardingDeps {
  readonly store: PracticeStore;
  readonly portal: PortalClient;
  readonly portalSecretName: string;
  readonly logger?: StepLogger;
}

/** What every step after the claim receives (from the state and the context object). */
export interface OffboardingStepInput {
  readonly practiceId: string;
  readonly executionName: string;
}

/** The claim step's result: it replaces the execution state, so the raw input (and reason) goes no further. */
export interface OffboardingClaimOutput {
  readonly practiceId: string;
  readonly outcome: "claimed" | "alreadyOffboarded" | "stale";
  /** The practice's key, masked; absent when it holds none. */
  readonly maskedKey?: string;
  /** claimed: the status the practice is put back to if offboarding fails. */
  readonly previousStatus?: PracticeStatus;
  /** alreadyOffboarded: when it was offboarded. */
  readonly offboardedAt?: string;
  /** stale: when the request was issued, the practice's last transition it did not come after, its status. */
  readonly issuedAt?: string;
  readonly lastTransitionAt?: string;
  readonly status?: PracticeStatus;
}

/**
 * Validates the execution input and claims the practice for offboarding. Invalid input (InvalidInput), an
 * unknown practice (PracticeNotFound) and a practice another execution holds (PracticeBusy) are thrown before
 * anything is written, which fails the execution at once.
 */
export async function claimPracticeForOffboarding(
  deps: { readonly store: PracticeStore; readonly logger?: StepLogger },
  event: { readonly input: unknown; readonly executionName: string },
): Promise<OffboardingClaimOutput> {
  const request = parseOffboardingRequest(event.input);
  const result = await deps.store.startOffboarding({ ...request, executionName: event.executionName });
  (deps.logger ?? silentLogger).info("offboarding claim", { outcome: result.outcome });
  if (result.outcome === "stale") {
    const { issuedAt, lastTransitionAt, status } = result;
    return { practiceId: request.practiceId, outcome: "stale", issuedAt, lastTransitionAt, status };
  }
  const maskedKey = result.maskedKey ? { maskedKey: result.maskedKey } : {};
  if (result.outcome === "alreadyOffboarded") {
    return {
      practiceId: request.practiceId,
      outcome: "alreadyOffboarded",
      ...maskedKey,
      ...(result.offboardedAt ? { offboardedAt: result.offboardedAt } : {}),
    };
  }
  return {
    practiceId: request.practiceId,
    outcome: "claimed",
    ...maskedKey,
    previousStatus: result.previousStatus,
  };
}

/** Statuses that mean the key no longer works after our PUT (the portal keeps a customer's or HQ's own). */
function isDisabled(status: KeyStatus): boolean {
  return status.startsWith("Disabled");
}

/**
 * `PUT /apikeys` `KeyStatus: DisabledByDeveloper` on the key the practice record holds, then recorded. A portal
 * that no longer knows the key (404/410) is recorded as `keyMissingInPortal` — nothing is left to disable, so it
 * is not retried. A key already recorded disabled by this execution is not sent again; a practice without a key
 * makes no call. Throttling and outages are thrown for Step Functions to retry; 401/400 for the Catch.
 *
 * A key the practice or Open Dental HQ revoked (DisabledByCustomer, DisabledByHQ) is never sent our disable,
 * which could overwrite their status with ours and let a later re-enable undo their decision (docs/architecture.md
 * §4, invariant 8): it is recorded as already disabled, without a PUT. Nothing we hold says whether the practice
 * revoked its key since we enabled it — months may have passed — so the key's status is read from the listing
 * first (portal-key-lookup.ts: the pages up to the key's). Offboarding is the rare path that may pay for it:
 * operations start it once per churned practice, while onboarding, the frequent path, never lists.
 */
export async function disablePracticeKey(
  deps: OffboardingDeps,
  input: OffboardingStepInput,
): Promise<{
  readonly maskedKey: string | null;
  readonly keyDisabled: boolean;
  readonly keyMissingInPortal: boolean;
}> {
  const logger = deps.logger ?? silentLogger;
  const practice = await deps.store.getPractice(input.practiceId);
  const details = practice?.offboarding;
  if (
    practice?.status !== "OFFBOARDING" ||
    practice.lastExecution !== input.executionName ||
    details?.executionName !== input.executionName
  ) {
    // Someone else holds the practice now: disabling its key would undo their work.
    throw new ClaimLost(
      practice
        ? `practice ${input.practiceId} is ${practice.status} by execution ${practice.lastExecution}, ` +
            `not OFFBOARDING by ${input.executionName}`
        : `practice ${input.practiceId} has no record; execution ${input.executionName} never claimed it`,
    );
  }
  if (!practice.customerKey) {
    logger.info("practice holds no key; nothing to disable");
    return { maskedKey: null, keyDisabled: false, keyMissingInPortal: false };
  }
  // Opened here, to send it to the portal (this function's role holds kms:Decrypt; docs/architecture.md §4).
  const customerKey = await deps.store.revealCustomerKey(practice);
  const maskedKey = shownKeyOf(practice);
  if (details.keyDisabledAt) {
    // A retried invocation whose first try got as far as recording: no second PUT.
    return {
      maskedKey,
      keyDisabled: details.keyMissingInPortal !== true,
      keyMissingInPortal: details.keyMissingInPortal === true,
    };
  }
  let portalKeyStatus: KeyStatus | undefined;
  let keyMissingInPortal = false;
  let current: Awaited<ReturnType<typeof findPortalKey>>;
  let disabledByUs = false;
  try {
    current = await findPortalKey(deps.portal, customerKey);
  } catch (error) {
    throw withSecretHint(error, deps.portalSecretName);
  }
  if (!current) {
    logger.warn("the portal does not list the practice's key; recording it as missing", { maskedKey });
    keyMissingInPortal = true;
  } else if (isDisabled(current.keyStatus)) {
    // Revoked by the practice or HQ, or already ours: nothing to send.
    portalKeyStatus = current.keyStatus;
    if (isRevokedKeyStatus(current.keyStatus)) {
      logger.info("key revoked by its practice or Open Dental; recording it as already disabled", {
        maskedKey,
        keyStatus: current.keyStatus,
      });
    }
  } else {
    try {
      const updated = await deps.portal.updateKey({ customerKey, keyStatus: "DisabledByDeveloper" });
      portalKeyStatus = updated.keyStatus;
      disabledByUs = true;
    } catch (error) {
      if (!(error instanceof PortalNotFound)) throw withSecretHint(error, deps.portalSecretName);
      logger.warn("the portal does not know the practice's key; recording it as missing", { maskedKey });
      keyMissingInPortal = true;
    }
  }
  if (portalKeyStatus !== undefined && !isDisabled(portalKeyStatus)) {
    throw new PortalRejected(
      `PUT /apikeys for key ${maskedKey} answered KeyStatus ${portalKeyStatus}: the key is still enabled`,
    );
  }
  try {
    await deps.store.recordOffboardingKeyDisabled({
      ...input,
      keyMissingInPortal,
      ...(portalKeyStatus === undefined ? {} : { portalKeyStatus }),
    });
  } catch (error) {
    if (error instanceof ClaimLost && disabledByUs)
      await undoDisable(deps, input.practiceId, customerKey, practice.keyFingerprint);
    throw error;
  }
  logger.info(keyMissingInPortal ? "key missing in portal" : "key disabled", { maskedKey, portalKeyStatus });
  return { maskedKey, keyDisabled: !keyMissingInPortal, keyMissingInPortal };
}

/**
 * The claim was released while our PUT DisabledByDeveloper was in flight (the execution was stopped and the claim
 * release put the practice back as it was): the PUT landed after it. A practice restored to ACTIVE with this key
 * gets it enabled again, as it was before our PUT, so the record and the portal agree without waiting for
 * reconciliation. Anything else (the practice moved on) is left as it is.
 */
async function undoDisable(
  deps: OffboardingDeps,
  practiceId: string,
  customerKey: string,
  keyFingerprint: string | undefined,
): Promise<void> {
  const logger = deps.logger ?? silentLogger;
  const practice = await deps.store.getPractice(practiceId);
  // The same key, told by its fingerprint: the record holds only a ciphertext (§4 invariant 13).
  if (practice?.status !== "ACTIVE" || !keyFingerprint || practice.keyFingerprint !== keyFingerprint) return;
  const maskedKey = shownKeyOf(practice);
  logger.warn("claim released while the key was being disabled; enabling it again", { maskedKey });
  try {
    await deps.portal.updateKey({ customerKey, keyStatus: "Enabled" });
  } catch (error) {
    logger.error("could not enable again the key disabled after the claim was released", {
      maskedKey,
      error: (error as Error)?.name,
    });
  }
}

/**
 * Practice OFFBOARDED with the time and reason, and its PracticeOffboarded event in the outbox, in one conditional
 * transaction (no portal call). Returns the event too, built from the record so a retry repeats it exactly.
 */
export async function recordPracticeOffboarded(
  deps: {
    readonly store: PracticeStore;
    /** Revokes the practice's open activation link (idempotent), before the practice is recorded OFFBOARDED. */
    readonly revokeActivationLinks?: (input: OffboardingStepInput) => Promise<unknown>;
  },
  input: OffboardingStepInput,
): Promise<{
  readonly status: "OFFBOARDED";
  readonly offboardedAt: string;
  readonly version: number;
  readonly event: DomainEventInput;
}> {
  await deps.revokeActivationLinks?.(input);
  const record = await deps.store.completeOffboarding({
    ...input,
    announce: announcing((offboarded) => practiceOffboardedEvent(offboarded, input.executionName)),
  });
  return {
    status: "OFFBOARDED",
    offboardedAt: record.offboardedAt ?? "",
    version: record.version,
    event: practiceOffboardedEvent(record, input.executionName),
  };
}

/**
 * Saga compensation after a failed step: the practice goes back to the status it had before the claim, with the
 * failure in the audit trail, so nothing stays OFFBOARDING. The returned `reason` becomes the Fail's cause.
 */
export async function compensateOffboarding(
  deps: { readonly store: PracticeStore; readonly logger?: StepLogger },
  input: OffboardingStepInput & {
    readonly error?: CaughtError;
    /** Audit actor (claim release). @default the offboarding's requester */
    readonly actor?: string;
  },
): Promise<{ readonly restored: boolean; readonly status: string; readonly reason: string }> {
  const result = await deps.store.restoreAfterFailedOffboarding({
    ...input,
    reason: describeCaughtError(input.error),
  });
  (deps.logger ?? silentLogger).warn("offboarding failed", { ...result });
  return result;
}
