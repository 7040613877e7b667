// What a reconciliation run can find, how each finding looks, and which ones need a person.
// Dependency-free: handlers, the store and the ops CLI all read it.

/** Every drift reconciliation reports, in report order. */
export const FINDING_CATEGORIES = [
  /** An enabled key we created (ledger, or a lost POST answer) that no practice holds. Repair disables it. */
  "UNMAPPED_KEY_OURS",
  /** An enabled key we have no record of creating. Reported only; `ops import` adopts it. */
  "UNMAPPED_KEY_FOREIGN",
  /** A practice holds a key the portal does not list. Reported only. */
  "KEY_MISSING",
  /** An OFFBOARDED or FAILED practice whose key is enabled (billed). Repair disables it. */
  "SHOULD_BE_DISABLED",
  /** An ACTIVE practice whose key is disabled; details say by whom. Reported only. */
  "UNEXPECTEDLY_DISABLED",
  /** The key's DevRefId differs from the practice's. Repair re-labels it. */
  "LABEL_DRIFT",
  /** ONBOARDING/OFFBOARDING longer than the grace period with no running execution. Repair finishes or fails it. */
  "STUCK",
  /** ACTIVE for more than N days while the practice has not added its key in Open Dental. Reported only. */
  "NOT_YET_ASSIGNED",
] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

/** Categories repair acts on; the others are never changed automatically. */
export const REPAIRABLE_CATEGORIES: ReadonlySet<FindingCategory> = new Set([
  "UNMAPPED_KEY_OURS",
  "SHOULD_BE_DISABLED",
  "LABEL_DRIFT",
  "STUCK",
]);

/** Categories only a person can resolve, whatever the mode. NOT_YET_ASSIGNED is a sales follow-up, not an alarm. */
export const ALWAYS_NEEDS_ATTENTION: ReadonlySet<FindingCategory> = new Set([
  "UNMAPPED_KEY_FOREIGN",
  "KEY_MISSING",
  "UNEXPECTEDLY_DISABLED",
]);

export type FindingDetails = Readonly<Record<string, string | number | boolean | null>>;

/** One drift. Never holds a full key: `maskedKey` only. */
export interface Finding {
  readonly category: FindingCategory;
  readonly practiceId?: string;
  readonly maskedKey?: string;
  readonly details: FindingDetails;
}

export type FindingCounts = Record<FindingCategory, number>;

export function emptyCounts(): FindingCounts {
  return Object.fromEntries(FINDING_CATEGORIES.map((c) => [c, 0])) as FindingCounts;
}

export function addCounts(a: FindingCounts, b: Partial<FindingCounts>): FindingCounts {
  const out = { ...a };
  for (const category of FINDING_CATEGORIES) out[category] += b[category] ?? 0;
  return out;
}

export function countFindings(findings: readonly Finding[]): FindingCounts {
  const counts = emptyCounts();
  for (const finding of findings) counts[finding.category] += 1;
  return counts;
}

/**
 * Findings a person must look at: the always-manual categories, plus — in a report-only run — everything repair
 * would have fixed, plus repairs that failed (those held back by the grace period come back next run).
 */
export function findingsNeedingAttention(
  counts: FindingCounts,
  run: { readonly repair: boolean; readonly repairsFailed: number },
): number {
  let total = 0;
  for (const category of FINDING_CATEGORIES) {
    if (ALWAYS_NEEDS_ATTENTION.has(category)) total += counts[category];
    else if (!run.repair && REPAIRABLE_CATEGORIES.has(category)) total += counts[category];
  }
  return run.repair ? total + run.repairsFailed : total;
}
