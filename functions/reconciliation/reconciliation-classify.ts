// Reconciliation's decisions as pure functions: what a portal key, a practice record, or the run's lost-POST
// candidates amount to, and which repairs follow. No I/O: the steps fetch, these decide.
//
// "Ours" — the rule that decides whether reconciliation may ever touch a key:
//   (a) the key is in our ledger (`keys.customerKey`: written in the same transaction that gave a practice a key
//       we created or re-enabled, by `ops import`, or by reconciliation adopting a lost POST's key); or
//   (b) every one of: not in the ledger; enabled; DevRefId "" (we label right after creating); DateTimeAssigned
//       unset (no practice ever installed it); DateCreated within [first attempt date − 1, last attempt date + 1]
//       of an open create attempt with an unknown outcome (a POST sent whose answer never arrived: attempts −
//       (CREATED ? 1 : 0) − refusals > 0, where a refusal — 429, 4xx, throttled before sending, connection refused
//       — certainly created nothing); the day of slack is for the portal's time zone); and every such key the run
//       found can be given a lost POST of its own, of an attempt it is dated near (counted attempt by attempt,
//       not in total: two keys near an attempt that lost one POST are too many, whatever other attempts lost).
//       More candidates than lost POSTs means we cannot tell which are ours: all of them are reported FOREIGN
//       (`possiblyOurs: true`) and left alone.
// Anything else is FOREIGN and is never changed. A key created before our first lost POST can never match (b).
// A candidate is adopted only once its attempt's execution has ended (a running one may still record it).
// Residual risk, accepted and documented: a key made by hand, unlabeled and never installed, within a day of a
// POST whose answer was lost and which itself created nothing, is taken for ours.

import type { Finding } from "../../contracts/reconciliation-findings.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { maskCustomerKey } from "../key-custody/masked-key.js";
import { isEnabledKeyStatus, type PortalKey } from "../portal/portal-types.js";
import type { OpenCreateAttempt } from "../practice/create-attempts.js";
import { currentInstallation, type KeyInstallation } from "../practice/key-installation.js";
import type { LedgerEntry } from "../practice/key-ledger.js";
import { type PracticeRecord, shownKeyOf } from "../practice/practice-record.js";
import type { LostKeyCandidate, PlannedRepair, SeenKey } from "../practice/reconciliation-scratch.js";

/** The run's parameters, validated (reconciliation-input.ts). */
export interface ReconciliationParams {
  readonly runId: string;
  readonly repair: boolean;
  readonly graceMinutes: number;
  readonly notYetAssignedDays: number;
}

/** The portal's dates carry no time zone: a key it dates `d` may have been created on our `d ± 1`. */
export const PORTAL_DATE_SLACK_DAYS = 1;

/** POSTs of an attempt with an unknown outcome (neither recorded nor refused): each may have created a key. */
export function unaccountedPosts(
  attempt: Pick<OpenCreateAttempt, "attempts" | "status"> & {
    readonly noKeyAnswers?: number;
    readonly adoptedKeys?: number;
  },
): number {
  const created = attempt.status === "CREATED" ? 1 : 0;
  // A key an operator adopted for the attempt (`ops adopt-key`) is the answer one of its POSTs lost.
  return Math.max(0, attempt.attempts - created - (attempt.noKeyAnswers ?? 0) - (attempt.adoptedKeys ?? 0));
}

export function attemptId(attempt: Pick<OpenCreateAttempt, "practiceId" | "executionName">): string {
  return `${attempt.practiceId}#${attempt.executionName}`;
}

function shiftDate(isoDate: string, days: number): string {
  const at = new Date(`${isoDate.slice(0, 10)}T00:00:00.000Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** Portal dates (`yyyy-MM-dd`) a key created by this attempt's POSTs can carry. */
export function attemptWindow(attempt: Pick<OpenCreateAttempt, "firstAttemptAt" | "lastAttemptAt">): {
  readonly from: string;
  readonly to: string;
} {
  return {
    from: shiftDate(attempt.firstAttemptAt, -PORTAL_DATE_SLACK_DAYS),
    to: shiftDate(attempt.lastAttemptAt, PORTAL_DATE_SLACK_DAYS),
  };
}

/** True when `iso` is more than `minutes` before `now` (an absent time counts as old). */
export function olderThan(iso: string | undefined, minutes: number, now: Date): boolean {
  if (!iso) return true;
  return now.getTime() - Date.parse(iso) > minutes * 60_000;
}

/** Who disabled a key, from its status: DisabledByDeveloper → "developer", …; anything else as-is. */
export function disabledBy(keyStatus: string): string {
  const match = /^DisabledBy(.+)$/.exec(keyStatus);
  return match ? match[1]!.toLowerCase().replace(/^hq$/, "HQ") : keyStatus;
}

export interface Classification {
  readonly findings: Finding[];
  readonly repairs: PlannedRepair[];
  /** Repairable findings held back because they are younger than the grace period. */
  readonly deferred: number;
}

export interface KeyClassification extends Classification {
  /** The key is in the ledger: remember it for the practices' KEY_MISSING check. */
  readonly seen?: SeenKey;
  /** The key may be a lost POST's: decided once every page is listed. */
  readonly candidate?: LostKeyCandidate;
  /** An ACTIVE practice's key the office installed whose installation is not yet recorded or announced. */
  readonly installed?: InstalledKey;
}

/** The funnel's last step, seen in the portal (DateTimeAssigned no longer the sentinel). No full key. */
export interface InstalledKey {
  readonly practiceId: string;
  readonly devRefId: string;
  /** The practice's key (what the installation is bound to). */
  readonly keyFingerprint: KeyFingerprint;
  /** The practice record's masked key, for the event and the audit entry. */
  readonly maskedKey: string;
  readonly assignedInPortal: string;
  readonly activatedAt?: string;
  /** Recorded before installations were announced with their record, and not announced yet. */
  readonly recorded?: KeyInstallation;
}

export interface KeyContext {
  readonly ledger?: Omit<LedgerEntry, "maskedKey" | "createdBy"> & { readonly createdBy?: string };
  /** The ledger entry's practice, if it has a record. */
  readonly practice?: PracticeRecord;
  readonly openAttempts: readonly OpenCreateAttempt[];
  readonly params: ReconciliationParams;
  readonly now: Date;
}

/** What one portal key amounts to. */
/** A listed portal key with its keyed fingerprint (computed by the listing step, the one that holds the secret). */
export type FingerprintedKey = PortalKey & { readonly keyFingerprint: KeyFingerprint };

export function classifyPortalKey(key: FingerprintedKey, context: KeyContext): KeyClassification {
  const { ledger, practice, params, now } = context;
  const findings: Finding[] = [];
  const repairs: PlannedRepair[] = [];
  let deferred = 0;
  const maskedKey = maskCustomerKey(key.customerKey, key.keyFingerprint);
  const enabled = isEnabledKeyStatus(key.keyStatus);

  if (!ledger) {
    if (!enabled) return { findings, repairs, deferred };
    const attemptIds = matchingAttempts(key, context.openAttempts);
    if (attemptIds.length > 0) {
      return {
        findings,
        repairs,
        deferred,
        candidate: {
          customerKey: key.customerKey,
          keyFingerprint: key.keyFingerprint,
          maskedKey,
          dateCreated: key.dateCreated,
          attemptIds,
        },
      };
    }
    findings.push({
      category: "UNMAPPED_KEY_FOREIGN",
      maskedKey,
      details: { keyStatus: key.keyStatus, devRefId: key.devRefId, dateCreated: key.dateCreated },
    });
    return { findings, repairs, deferred };
  }

  const seen: SeenKey = { keyStatus: key.keyStatus, devRefId: key.devRefId };
  const holder = practice?.keyFingerprint === key.keyFingerprint ? practice : undefined;
  if (!holder) {
    if (enabled) {
      // Younger than the grace period (created or re-enabled moments ago) the key may be about to be recorded:
      // report, do not act. A practice mid-way through an execution (a returning practice whose old key is being
      // re-enabled) is left to that execution, or to the STUCK repair, which knows whether it is still running.
      const inBetween = practice?.status === "ONBOARDING" || practice?.status === "OFFBOARDING";
      const touched = [ledger.createdAt, ledger.reenabledAt].filter(Boolean).sort().at(-1);
      const settled = !inBetween && olderThan(touched, params.graceMinutes, now);
      findings.push({
        category: "UNMAPPED_KEY_OURS",
        practiceId: ledger.practiceId,
        maskedKey,
        details: {
          reason: practice
            ? `practice is ${practice.status} and holds ${practice.maskedKey ?? "no key"}`
            : "practice has no record",
          origin: ledger.origin ?? "onboarding",
          createdBy: ledger.createdBy ?? null,
          keyStatus: key.keyStatus,
          devRefId: key.devRefId,
          ...(inBetween ? { practiceInProgress: true } : settled ? {} : { withinGracePeriod: true }),
        },
      });
      if (!params.repair) {
        // report-only: nothing planned
      } else if (settled) {
        repairs.push({
          type: "DISABLE_KEY",
          category: "UNMAPPED_KEY_OURS",
          customerKey: key.customerKey,
          keyFingerprint: key.keyFingerprint,
          practiceId: ledger.practiceId,
        });
      } else {
        deferred += 1;
      }
    }
    return { findings, repairs, deferred, seen };
  }

  const practiceId = holder.practiceId;
  let installed: InstalledKey | undefined;
  switch (holder.status) {
    case "ACTIVE": {
      if (!enabled) {
        findings.push({
          category: "UNEXPECTEDLY_DISABLED",
          practiceId,
          maskedKey,
          details: {
            keyStatus: key.keyStatus,
            disabledBy: disabledBy(key.keyStatus),
            dateDisabled: key.dateDisabled,
          },
        });
      }
      if (key.devRefId !== holder.devRefId) {
        findings.push({
          category: "LABEL_DRIFT",
          practiceId,
          maskedKey,
          details: { portalDevRefId: key.devRefId, recordDevRefId: holder.devRefId },
        });
        if (params.repair) {
          repairs.push({
            type: "RELABEL_KEY",
            customerKey: key.customerKey,
            keyFingerprint: key.keyFingerprint,
            practiceId,
            devRefId: holder.devRefId,
          });
        }
      }
      installed = installedKey(key, holder);
      const activeSince = holder.activatedAt ?? holder.updatedAt;
      if (
        enabled &&
        key.dateTimeAssigned === null &&
        olderThan(activeSince, params.notYetAssignedDays * 24 * 60, now)
      ) {
        findings.push({
          category: "NOT_YET_ASSIGNED",
          practiceId,
          maskedKey,
          details: { activeSince: activeSince ?? null, days: params.notYetAssignedDays },
        });
      }
      break;
    }
    case "OFFBOARDED":
    case "FAILED": {
      if (enabled) {
        findings.push({
          category: "SHOULD_BE_DISABLED",
          practiceId,
          maskedKey,
          details: { practiceStatus: holder.status, keyStatus: key.keyStatus },
        });
        if (params.repair) {
          repairs.push({
            type: "DISABLE_KEY",
            category: "SHOULD_BE_DISABLED",
            customerKey: key.customerKey,
            keyFingerprint: key.keyFingerprint,
            practiceId,
          });
        }
      }
      break;
    }
    default:
      // ONBOARDING / OFFBOARDING: an execution owns it; the practice pass decides whether it is STUCK.
      break;
  }
  return { findings, repairs, deferred, seen, ...(installed ? { installed } : {}) };
}

/**
 * The ACTIVE holder's key is installed (DateTimeAssigned set, whatever its status now) and that installation is
 * not yet recorded, or recorded but not announced: the listing step records and announces it.
 */
function installedKey(key: FingerprintedKey, holder: PracticeRecord): InstalledKey | undefined {
  if (key.dateTimeAssigned === null || !holder.maskedKey) return undefined;
  const recorded = currentInstallation(holder);
  if (recorded?.announcedAt) return undefined;
  return {
    practiceId: holder.practiceId,
    devRefId: holder.devRefId,
    keyFingerprint: key.keyFingerprint,
    maskedKey: holder.maskedKey,
    assignedInPortal: key.dateTimeAssigned,
    ...(holder.activatedAt ? { activatedAt: holder.activatedAt } : {}),
    ...(recorded ? { recorded } : {}),
  };
}

function matchingAttempts(key: PortalKey, attempts: readonly OpenCreateAttempt[]): string[] {
  if (key.devRefId !== "" || key.dateTimeAssigned !== null || key.dateCreated === null) return [];
  const created = key.dateCreated;
  return attempts
    .filter((attempt) => unaccountedPosts(attempt) > 0)
    .filter((attempt) => {
      const window = attemptWindow(attempt);
      return created >= window.from && created <= window.to;
    })
    .map(attemptId);
}

/** What the run knows of an in-between practice's execution. */
export type ExecutionState =
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "TIMED_OUT"
  | "ABORTED"
  | "PENDING_REDRIVE"
  | "NOT_FOUND"
  /** No state machine to ask (e.g. the offboarding workflow is not deployed). */
  | "UNKNOWN";

/** Asks Step Functions about the execution that owns an in-between practice. */
export interface ExecutionLookup {
  status(kind: "ONBOARDING" | "OFFBOARDING", executionName: string): Promise<ExecutionState>;
}

export interface PracticeContext {
  /** What the portal listed for the practice's key; undefined when it was not listed. */
  readonly seen?: SeenKey;
  /** In-between practices older than the grace period: their execution's status. */
  readonly execution?: ExecutionState;
  readonly params: ReconciliationParams;
  readonly now: Date;
}

/** In-between practices whose execution must be looked up before classifying. */
export function needsExecutionCheck(
  practice: PracticeRecord,
  params: ReconciliationParams,
  now: Date,
): boolean {
  return (
    (practice.status === "ONBOARDING" || practice.status === "OFFBOARDING") &&
    olderThan(practice.updatedAt, params.graceMinutes, now)
  );
}

/** What one practice record amounts to (the key-side checks were made while listing the portal). */
export function classifyPractice(practice: PracticeRecord, context: PracticeContext): Classification {
  const findings: Finding[] = [];
  const repairs: PlannedRepair[] = [];
  let deferred = 0;
  const { params, now } = context;
  const practiceId = practice.practiceId;
  if (practice.status === "ONBOARDING" || practice.status === "OFFBOARDING") {
    if (!needsExecutionCheck(practice, params, now) || context.execution === "RUNNING") {
      return { findings, repairs, deferred };
    }
    const execution = context.execution ?? "UNKNOWN";
    findings.push({
      category: "STUCK",
      practiceId,
      ...(practice.maskedKey ? { maskedKey: practice.maskedKey } : {}),
      details: {
        status: practice.status,
        since: practice.updatedAt,
        lastExecution: practice.lastExecution,
        execution,
        keyInPortal: practice.keyFingerprint ? (context.seen?.keyStatus ?? "missing") : null,
      },
    });
    if (!params.repair) return { findings, repairs, deferred };
    if (execution === "UNKNOWN") {
      deferred += 1; // no way to know the execution is gone: leave it for a person
    } else {
      repairs.push({
        type: "FINISH_STUCK",
        practiceId,
        status: practice.status,
        lastExecution: practice.lastExecution,
        ...(context.seen ? { seenKey: context.seen } : {}),
      });
    }
    return { findings, repairs, deferred };
  }
  // By fingerprint: the status index projects no key, not even its ciphertext (§4 invariant 13).
  if (practice.keyFingerprint && !context.seen) {
    findings.push({
      category: "KEY_MISSING",
      practiceId,
      maskedKey: shownKeyOf(practice),
      details: { practiceStatus: practice.status },
    });
  } else if (!practice.keyFingerprint && practice.status === "ACTIVE") {
    findings.push({
      category: "KEY_MISSING",
      practiceId,
      details: { practiceStatus: practice.status, reason: "the ACTIVE record holds no key" },
    });
  }
  return { findings, repairs, deferred };
}

/**
 * Whether the run's lost-POST candidates are ours: only when each of them can be the answer of its own lost POST
 * of an attempt it is dated near (see the rule at the top of this file). Counted attempt by attempt, not in total:
 * two keys dated near an attempt that lost one POST cannot both be ours, whatever POSTs another attempt, on
 * another day, left unaccounted. A maximum matching of candidates to lost POSTs (a handful of each).
 */
export function candidatesAreOurs(
  candidates: readonly LostKeyCandidate[],
  openAttempts: readonly OpenCreateAttempt[],
): boolean {
  const lostPosts = new Map(openAttempts.map((attempt) => [attemptId(attempt), unaccountedPosts(attempt)]));
  // postOwner: "attemptId#n" (the n-th lost POST of an attempt) → index of the candidate it answers.
  const postOwner = new Map<string, number>();
  const assign = (candidate: number, visited: Set<string>): boolean => {
    for (const id of new Set(candidates[candidate]!.attemptIds)) {
      for (let n = 0; n < (lostPosts.get(id) ?? 0); n++) {
        const post = `${id}#${n}`;
        if (visited.has(post)) continue;
        visited.add(post);
        const holder = postOwner.get(post);
        if (holder === undefined || assign(holder, visited)) {
          postOwner.set(post, candidate);
          return true;
        }
      }
    }
    return false;
  };
  return candidates.every((_, index) => assign(index, new Set()));
}
