// The onboarding workflow's steps as plain functions of their dependencies (store, portal client), so the
// Lambda handlers stay thin and tests run them against DynamoDB Local and the portal simulator.
//
// State never carries a key: each step reads the key from the practice record, and returns it masked.

import type { DomainEventInput } from "../domain-events/domain-events.js";
import { announcing } from "../domain-events/outbox-message.js";
import { practiceOnboardedEvent, practiceOnboardingFailedEvent } from "../domain-events/practice-events.js";
import { type CaughtError, describeCaughtError } from "../platform/caught-error.js";
import {
  ClaimLost,
  KeyConflict,
  PortalNotFound,
  PortalRejected,
  PortalUnauthorized,
} from "../platform/errors.js";
import { maskKeyTail } from "../platform/mask.js";
import { type StepLogger, silentLogger } from "../platform/step-logger.js";
import { findPortalKey, isRevokedKeyStatus } from "../portal/portal-key-lookup.js";
import { withSecretHint } from "../portal/portal-secret-hint.js";
import {
  isEnabledKeyStatus,
  type KeyStatus,
  type PortalClient,
  type PortalKey,
} from "../portal/portal-types.js";
import { parseOnboardingRequest } from "../practice/practice-input.js";
import { shownKeyOf, shownPreviousKeyOf } from "../practice/practice-record.js";
import type { PracticeRecord, PracticeStore } from "../practice/practice-store.js";
import { postCreatedNothing } from "./create-post-outcome.js";

export interface OnboardingDeps {
  readonly store: PracticeStore;
  readonly portal: PortalClient;
  /** Secret holding the portal credentials: named in 401 errors so operators know what to check. */
  readonly portalSecretName: string;
  readonly logger?: StepLogger;
}

/** What every step after the claim receives (from the state and the context object). */
export interface OwnedStepInput {
  readonly practiceId: string;
  readonly executionName: string;
  readonly requestedBy: string;
}

export type ClaimOutcome = "claimed" | "returning" | "alreadyActive" | "inProgress" | "stale";

/** The claim step's result: it replaces the execution state, so the raw input goes no further. */
export interface ClaimOutput {
  readonly practiceId: string;
  readonly devRefId: string;
  readonly requestedBy: string;
  readonly outcome: ClaimOutcome;
  /** alreadyActive: the practice's key, masked. returning: its previous key, masked. */
  readonly maskedKey?: string;
  /** inProgress: the execution holding the practice. */
  readonly owner?: string;
  /** stale: when the request was issued, and the practice's last transition it did not come after. */
  readonly issuedAt?: string;
  readonly lastTransitionAt?: string;
}

/**
 * Validates the execution input and claims the practice. Invalid input throws InvalidInput before anything is
 * written, which fails the execution at once.
 */
export async function claimPractice(
  deps: Pick<OnboardingDeps, "store" | "logger">,
  event: { readonly input: unknown; readonly executionName: string },
): Promise<ClaimOutput> {
  const request = parseOnboardingRequest(event.input);
  const result = await deps.store.claimForOnboarding({ ...request, executionName: event.executionName });
  (deps.logger ?? silentLogger).info("practice claim", { outcome: result.outcome });
  const base = {
    practiceId: request.practiceId,
    devRefId: request.devRefId,
    requestedBy: request.requestedBy,
  };
  switch (result.outcome) {
    case "claimed":
      return { ...base, outcome: "claimed" };
    case "returning":
      return { ...base, outcome: "returning", maskedKey: result.previousMaskedKey };
    case "alreadyActive":
      return {
        ...base,
        outcome: "alreadyActive",
        ...(result.maskedKey ? { maskedKey: result.maskedKey } : {}),
      };
    case "inProgress":
      return { ...base, outcome: "inProgress", owner: result.owner };
    case "stale":
      return {
        ...base,
        outcome: "stale",
        issuedAt: result.issuedAt,
        lastTransitionAt: result.lastTransitionAt,
      };
  }
}

/** The practice as this execution claimed it, or ClaimLost. */
async function ownedPractice(store: PracticeStore, input: OwnedStepInput): Promise<PracticeRecord> {
  const record = await store.getPractice(input.practiceId);
  if (record?.status !== "ONBOARDING" || record.lastExecution !== input.executionName) {
    throw new ClaimLost(
      record
        ? `practice ${input.practiceId} is ${record.status} by execution ${record.lastExecution}, ` +
            `not ONBOARDING by ${input.executionName}`
        : `practice ${input.practiceId} has no record; execution ${input.executionName} never claimed it`,
    );
  }
  return record;
}

/** How many times the key is written to the table before the step gives up on it (see createPracticeKey). */
const RECORD_KEY_TRIES = 3;

/**
 * `POST /apikeys` for a claimed practice, at most once per successful answer: a practice already holding a key
 * of this execution gets it back (masked) without another POST. The attempt is recorded before the POST, the key
 * in the same invocation after it.
 *
 * A POST whose answer is lost (timeout after sending, unreadable 2xx) may still have created a key: the attempt
 * is marked LOST_RESPONSE and the error rethrown. A refusal or a failure before sending is noted as having created
 * nothing (create-post-outcome.ts), so reconciliation does not look for its key. Step Functions' retry then POSTs again and creates a second
 * key; the lost one — enabled, unlabeled, in no practice's record — is left for reconciliation to find through
 * the attempt (UNMAPPED_KEY_OURS) and disable.
 */
export async function createPracticeKey(
  deps: OnboardingDeps,
  input: OwnedStepInput,
): Promise<{ readonly maskedKey: string; readonly created: boolean }> {
  const logger = deps.logger ?? silentLogger;
  const practice = await ownedPractice(deps.store, input);
  if (practice.customerKey) {
    logger.info("practice already holds a key of this execution; not creating another", {
      maskedKey: practice.maskedKey,
    });
    return { maskedKey: shownKeyOf(practice), created: false };
  }
  await deps.store.recordCreateAttempt(input);
  let key: PortalKey;
  try {
    key = await deps.portal.createKey();
  } catch (error) {
    if ((error as { outcomeUnknown?: boolean }).outcomeUnknown === true) {
      logger.warn("POST /apikeys answer lost: the portal may have created a key", {
        error: (error as Error).name,
      });
      await deps.store.markCreateResponseLost({ ...input, errorName: (error as Error).name });
    } else if (postCreatedNothing(error)) {
      await deps.store.markCreateAnsweredNothing({ ...input, errorName: (error as Error).name });
    }
    throw withSecretHint(error, deps.portalSecretName);
  }
  const maskedKey = shownKeyOf(await recordNewKey(deps, input, key));
  logger.info("key created", { maskedKey });
  return { maskedKey, created: true };
}

async function recordNewKey(
  deps: OnboardingDeps,
  input: OwnedStepInput,
  key: PortalKey,
): Promise<PracticeRecord> {
  const logger = deps.logger ?? silentLogger;
  let lastError: unknown;
  for (let attempt = 1; attempt <= RECORD_KEY_TRIES; attempt++) {
    try {
      return await deps.store.recordKeyCreated({ ...input, key });
    } catch (error) {
      lastError = error;
      // A refusal (claim lost, key conflict) will not change on retry; a DynamoDB hiccup may.
      if (error instanceof ClaimLost || error instanceof KeyConflict) break;
    }
  }
  // The key exists in the portal but not in the table: disable it now, while we still hold it, so it cannot
  // stay enabled unaccounted. The attempt stays PENDING for reconciliation either way.
  logger.error("could not record the new key; disabling it", {
    // Not recorded, so no fingerprint at hand: the last 4 only (docs/architecture.md §4 invariant 13).
    maskedKey: maskKeyTail(key.customerKey),
    error: (lastError as Error)?.name,
  });
  try {
    await deps.portal.updateKey({ customerKey: key.customerKey, keyStatus: "DisabledByDeveloper" });
  } catch (disableError) {
    logger.error("could not disable the unrecorded key", {
      maskedKey: maskKeyTail(key.customerKey),
      error: (disableError as Error)?.name,
    });
  }
  throw lastError;
}

/**
 * Returning practice: asks the portal to re-enable the key it had when offboarded (docs/architecture.md §4,
 * invariant 8). The PUT's answer is the status check — an Enabled answer means the key was not revoked — so the
 * common path costs one request. `reenabled: false` (the workflow then creates a new key) when the portal no
 * longer knows the key (404) or the key is revoked: the practice or Open Dental HQ disabled it
 * (DisabledByCustomer, DisabledByHQ), which only they may lift; the revocation is recorded (KEY_REVOKED). A 400
 * is not taken for a revocation on its word: the key's status is read from the listing (the rare path), and a
 * refusal that is not a revocation is thrown, failing the onboarding with the portal's explanation. Throttling,
 * outages and 401 are thrown for Step Functions to retry or catch.
 */
export async function reenablePreviousKey(
  deps: OnboardingDeps,
  input: OwnedStepInput,
): Promise<{ readonly reenabled: boolean; readonly maskedKey?: string; readonly revoked?: KeyStatus }> {
  const logger = deps.logger ?? silentLogger;
  const practice = await ownedPractice(deps.store, input);
  if (practice.customerKey) return { reenabled: true, maskedKey: shownKeyOf(practice) };
  if (!practice.previousCustomerKey) return { reenabled: false };
  // Opened here, to send it to the portal (this function's role holds kms:Decrypt; docs/architecture.md §4).
  const previous = await deps.store.revealPreviousCustomerKey(practice);
  const maskedKey = shownPreviousKeyOf(practice);
  let updated: PortalKey | undefined;
  try {
    updated = await deps.portal.updateKey({ customerKey: previous, keyStatus: "Enabled" });
  } catch (error) {
    if (error instanceof PortalNotFound) {
      await refuseReenable(deps, input, maskedKey, `${error.name}: ${error.message}`);
      return { reenabled: false };
    }
    if (!(error instanceof PortalRejected)) throw withSecretHint(error, deps.portalSecretName);
    updated = await lookUpKey(deps, previous);
    if (!updated) {
      await refuseReenable(deps, input, maskedKey, "the portal no longer lists the key");
      return { reenabled: false };
    }
    if (!isRevokedKeyStatus(updated.keyStatus) && !isEnabledKeyStatus(updated.keyStatus)) throw error;
  }
  if (isRevokedKeyStatus(updated.keyStatus)) {
    await recordKeyRevoked(deps, input, maskedKey, updated.keyStatus);
    return { reenabled: false, revoked: updated.keyStatus };
  }
  if (updated.keyStatus !== "Enabled") {
    await refuseReenable(deps, input, maskedKey, `the portal answered KeyStatus ${updated.keyStatus}`);
    return { reenabled: false };
  }
  try {
    await deps.store.recordKeyReenabled(input);
  } catch (error) {
    if (error instanceof ClaimLost) await undoReenable(deps, previous, maskedKey);
    throw error;
  }
  logger.info("previous key re-enabled", { maskedKey });
  return { reenabled: true, maskedKey };
}

/**
 * The claim was released while our PUT Enabled was in flight (the execution was stopped and the claim release
 * compensated, seeing the key still disabled): the PUT landed after it. This invocation is the last to know, so
 * it disables the key again — a FAILED practice never keeps an enabled key (docs/architecture.md §4, invariant 3)
 * without waiting for reconciliation. Should this PUT fail too, reconciliation's SHOULD_BE_DISABLED remains.
 */
async function undoReenable(deps: OnboardingDeps, customerKey: string, maskedKey: string): Promise<void> {
  const logger = deps.logger ?? silentLogger;
  logger.warn("claim released while the key was being re-enabled; disabling it again", { maskedKey });
  try {
    await deps.portal.updateKey({ customerKey, keyStatus: "DisabledByDeveloper" });
  } catch (error) {
    logger.error("could not disable the key re-enabled after the claim was released", {
      maskedKey,
      error: (error as Error)?.name,
    });
  }
}

/** The key as the portal lists it (the rare path: see portal-key-lookup.ts). */
async function lookUpKey(deps: OnboardingDeps, customerKey: string): Promise<PortalKey | undefined> {
  try {
    return await findPortalKey(deps.portal, customerKey);
  } catch (error) {
    throw withSecretHint(error, deps.portalSecretName);
  }
}

/** The practice or Open Dental revoked the key: recorded, so operators and the audit trail see why it stays off. */
async function recordKeyRevoked(
  deps: OnboardingDeps,
  input: OwnedStepInput,
  maskedKey: string,
  keyStatus: KeyStatus,
) {
  (deps.logger ?? silentLogger).info(
    "previous key revoked; it stays disabled and a new key will be created",
    {
      maskedKey,
      keyStatus,
    },
  );
  await deps.store.appendAudit({
    practiceId: input.practiceId,
    action: "KEY_REVOKED",
    actor: input.requestedBy,
    executionName: input.executionName,
    details: { maskedKey, keyStatus },
  });
}

async function refuseReenable(
  deps: OnboardingDeps,
  input: OwnedStepInput,
  maskedKey: string,
  reason: string,
) {
  (deps.logger ?? silentLogger).info("previous key cannot be re-enabled; a new key will be created", {
    maskedKey,
  });
  await deps.store.appendAudit({
    practiceId: input.practiceId,
    action: "KEY_REENABLE_REFUSED",
    actor: input.requestedBy,
    executionName: input.executionName,
    details: { maskedKey, reason: reason.slice(0, 500) },
  });
}

/** `PUT /apikeys` with the DevRefId, on the key the practice record holds. Repeating it is harmless. */
export async function labelPracticeKey(
  deps: OnboardingDeps,
  input: OwnedStepInput & { readonly devRefId: string },
): Promise<{ readonly maskedKey: string; readonly devRefId: string }> {
  const practice = await ownedPractice(deps.store, input);
  if (!practice.customerKey) {
    throw new KeyConflict(`practice ${input.practiceId} holds no key to label`);
  }
  // Opened here, to send it to the portal (this function's role holds kms:Decrypt; docs/architecture.md §4).
  const customerKey = await deps.store.revealCustomerKey(practice);
  const maskedKey = shownKeyOf(practice);
  try {
    await deps.portal.updateKey({ customerKey, devRefId: input.devRefId });
  } catch (error) {
    throw withSecretHint(error, deps.portalSecretName);
  }
  await deps.store.appendAudit({
    practiceId: input.practiceId,
    action: "KEY_LABELED",
    actor: input.requestedBy,
    executionName: input.executionName,
    details: { maskedKey, devRefId: input.devRefId },
  });
  return { maskedKey, devRefId: input.devRefId };
}

/**
 * Practice ACTIVE with its key, and its PracticeOnboarded event in the outbox, in one conditional transaction
 * (docs/events.md "Delivery"). Returns the event too, built from the record so a retry repeats it exactly.
 */
export async function recordPracticeActive(
  deps: Pick<OnboardingDeps, "store">,
  input: OwnedStepInput,
): Promise<{
  readonly status: "ACTIVE";
  readonly maskedKey: string;
  readonly version: number;
  readonly event: DomainEventInput;
}> {
  const current = await deps.store.getPractice(input.practiceId);
  const record = await deps.store.markActive({
    ...input,
    expectedVersion: current?.version ?? 0,
    announce: announcing((active) => practiceOnboardedEvent(active, input.executionName)),
  });
  const maskedKey = record.maskedKey ?? "";
  return {
    status: "ACTIVE",
    maskedKey,
    version: record.version,
    event: practiceOnboardedEvent(record, input.executionName),
  };
}

/**
 * Onboarding's last Task: labels the key, then records the practice ACTIVE — one Task, not two, so one state
 * transition less per onboarding ($0.025 per 1,000). The result is both steps' results in one.
 */
export async function labelKeyAndRecordActive(
  deps: OnboardingDeps,
  input: OwnedStepInput & { readonly devRefId: string },
): Promise<{
  readonly maskedKey: string;
  readonly devRefId: string;
  readonly status: "ACTIVE";
  readonly version: number;
  readonly event: DomainEventInput;
}> {
  // A retry after a refused record re-sends the PUT: idempotent (same key, same DevRefId).
  const labeled = await labelPracticeKey(deps, input).catch((error: unknown) => {
    // An attempt whose record committed (its answer lost) left the practice ACTIVE by this execution: the label
    // is done and recordPracticeActive returns that record again. Any other lost claim it throws itself.
    if (error instanceof ClaimLost) return undefined;
    throw error;
  });
  const recorded = await recordPracticeActive(deps, input);
  return { ...recorded, maskedKey: labeled?.maskedKey ?? recorded.maskedKey, devRefId: input.devRefId };
}

/**
 * Saga compensation after a failed step: disables the key this execution created or re-enabled (a 404 means
 * the portal holds no such key: nothing left enabled), then marks the practice FAILED with the reason.
 * Throttling and outages are thrown for Step Functions to retry; a refusal (401, 400) is recorded in the reason
 * as "key … NOT disabled" for reconciliation and operators. Repeating it is a no-op.
 */
export async function compensateOnboarding(
  deps: OnboardingDeps,
  input: OwnedStepInput & {
    readonly error?: CaughtError;
    /** Audit actor of the FAILED entry (claim release). @default the record's requestedBy */
    readonly actor?: string;
  },
): Promise<CompensationOutcome> {
  const logger = deps.logger ?? silentLogger;
  const cause = describeCaughtError(input.error);
  const practice = await deps.store.getPractice(input.practiceId);
  if (practice?.status === "FAILED" && practice.lastExecution === input.executionName) {
    // A retried compensation: the same outcome and the same event as the first time.
    const reason = practice.failureReason ?? cause;
    return { status: "FAILED", reason, keyDisabled: null, event: failureEvent(input, practice) };
  }
  if (practice?.status !== "ONBOARDING" || practice.lastExecution !== input.executionName) {
    // Not ours any more: touching its key or status would undo someone else's work.
    await deps.store.appendAudit({
      practiceId: input.practiceId,
      action: "COMPENSATION_SKIPPED",
      actor: input.requestedBy,
      executionName: input.executionName,
      details: { reason: cause.slice(0, 500), status: practice?.status ?? null },
    });
    // No event either: this execution's failure changed nothing another system must hear about.
    return { status: practice?.status ?? "UNKNOWN", reason: cause, keyDisabled: null, event: null };
  }
  let keyDisabled: boolean | null = null;
  let reason = cause;
  // Opened here, to send it to the portal (this function's role holds kms:Decrypt; docs/architecture.md §4).
  let toDisable = practice.customerKey ? await deps.store.revealCustomerKey(practice) : undefined;
  let toDisableShown = shownKeyOf(practice);
  if (!toDisable && practice.onboardingKind === "returning" && practice.previousCustomerKey) {
    // A returning practice whose re-enable was sent but not recorded may hold its old key enabled — or the key
    // may be one its practice or HQ revoked, which must not be overwritten. Nothing recorded says which: look
    // (the rare path), and disable only an enabled key.
    const current = await lookUpKey(deps, await deps.store.revealPreviousCustomerKey(practice));
    if (current && isRevokedKeyStatus(current.keyStatus)) {
      await recordKeyRevoked(deps, input, shownPreviousKeyOf(practice), current.keyStatus);
    }
    if (current && isEnabledKeyStatus(current.keyStatus)) {
      toDisable = current.customerKey;
      toDisableShown = shownPreviousKeyOf(practice);
    } else keyDisabled = true;
  }
  // A key this execution created or re-enabled moments ago: the PUT that made it Enabled is the status check.
  if (toDisable) {
    try {
      await deps.portal.updateKey({ customerKey: toDisable, keyStatus: "DisabledByDeveloper" });
      keyDisabled = true;
    } catch (error) {
      if (error instanceof PortalNotFound) {
        keyDisabled = true;
      } else if (error instanceof PortalRejected || error instanceof PortalUnauthorized) {
        keyDisabled = false;
        reason = `${cause}; key ${toDisableShown} NOT disabled: ${(withSecretHint(error, deps.portalSecretName) as Error).message}`;
      } else {
        throw withSecretHint(error, deps.portalSecretName);
      }
    }
  }
  const record = await deps.store.markFailed({
    ...input,
    reason,
    keyDisabled: keyDisabled === true,
    announce: announcing((failed) => failureEvent(input, failed)),
  });
  logger.warn("onboarding failed", { reason: record.failureReason, keyDisabled });
  const recordedReason = record.failureReason ?? reason;
  return {
    status: "FAILED",
    reason: recordedReason,
    keyDisabled,
    event: failureEvent(input, record),
  };
}

/** What compensation did; `event` is the PracticeOnboardingFailed to publish, null when it was not ours to fail. */
export interface CompensationOutcome {
  readonly status: string;
  readonly reason: string;
  readonly keyDisabled: boolean | null;
  readonly event: DomainEventInput | null;
}

/** PracticeOnboardingFailed from the FAILED record, the caught error's name as its reason. */
function failureEvent(
  input: OwnedStepInput & { readonly error?: CaughtError },
  record: PracticeRecord,
): DomainEventInput {
  return practiceOnboardingFailedEvent(record, input.executionName, input.error?.Error ?? "UnknownError");
}
