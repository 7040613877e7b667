// The ordering rule of lifecycle requests (docs/architecture.md §4, invariant 10): a request issued at or
// before the practice's last recorded transition changes nothing — it is stale. The time a request was issued
// comes with it (`issuedAt`: the webhook payload's `timestamp`, in whole seconds; the ops CLI's clock, in
// milliseconds); the time of a transition is the writer's clock when it recorded the status change.
import type { PracticeRecord } from "./practice-record.js";

/**
 * Ties are stale: a request stamped in the very millisecond (or, from the webhook, the very second) of the last
 * transition cannot be shown to come after it, and wrongly undoing a transition (re-enabling an offboarded
 * practice's key: the vendor pays for it) costs more than asking for a request to be sent again.
 */
export function isStale(issuedAt: string | undefined, lastTransitionAt: string | undefined): boolean {
  if (issuedAt === undefined || lastTransitionAt === undefined) return false;
  return Date.parse(issuedAt) <= Date.parse(lastTransitionAt);
}

/**
 * When the practice last changed status. Records last changed before `lastTransitionAt` existed fall back to
 * the latest of their outcome times, so an offboarded practice is protected from the first request on.
 */
export function lastTransitionOf(
  record: Pick<PracticeRecord, "lastTransitionAt" | "activatedAt" | "failedAt" | "offboardedAt">,
): string | undefined {
  if (record.lastTransitionAt) return record.lastTransitionAt;
  const times = [record.activatedAt, record.failedAt, record.offboardedAt].filter(
    (time): time is string => time !== undefined,
  );
  return times.length
    ? times.reduce((latest, time) => (Date.parse(time) > Date.parse(latest) ? time : latest))
    : undefined;
}

/** How far ahead of the receiving clock a request's time may be: clock skew, as a webhook signature allows. */
export const MAX_ISSUED_AHEAD_SECONDS = 5 * 60;

/**
 * Why a received request's time cannot rank it, or undefined: a time ahead of the receiver's clock by more than
 * the skew would outrank every request really sent after it — and so would any replay of it (undoing an
 * offboarding). Ordered by the sender's time, a request must not come from the future.
 */
export function issuedTooFarAhead(issuedAt: string, now: Date): string | undefined {
  if (Date.parse(issuedAt) - now.getTime() <= MAX_ISSUED_AHEAD_SECONDS * 1000) return undefined;
  return `${issuedAt} is ahead of this server's clock (${now.toISOString()}) by more than ${MAX_ISSUED_AHEAD_SECONDS / 60} minutes: check the sender's clock`;
}

/** A stale request as the claim steps report it: what it was, when issued, and the transition it came after. */
export interface StaleRequest {
  readonly outcome: "stale";
  readonly issuedAt: string;
  readonly lastTransitionAt: string;
  /** The practice's status, which the request left as it was. */
  readonly status: PracticeRecord["status"];
}

/**
 * The condition a claim adds to its conditional write, so a transition recorded between its read and its
 * write makes it decide again: `lastTransitionAt` absent or strictly before `issuedAt`. ISO strings of
 * `toISOString()` compare as times. Without `issuedAt` (an execution started before the rule), nothing.
 */
export function issuedAfterLastTransition(issuedAt: string | undefined): {
  readonly expression: string;
  readonly values: Record<string, string>;
} {
  if (issuedAt === undefined) return { expression: "", values: {} };
  return {
    expression: " AND (attribute_not_exists(lastTransitionAt) OR lastTransitionAt < :issuedAt)",
    values: { ":issuedAt": new Date(issuedAt).toISOString() },
  };
}

/** The audit action of a stale request: `ops status` shows the latest one. */
export const STALE_REQUEST_AUDIT_ACTION = "STALE_REQUEST_IGNORED";
