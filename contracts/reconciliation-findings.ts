// What a reconciliation run can find, how each finding looks, and which ones need a person.
// Dependency-free: handlers, the store and the ops CLI all read it.
import { RECONCILIATION_FINDING_CATEGORIES, type ReconciliationFindingCategory } from "./metric-names.js";

/**
 * Every drift reconciliation reports, in report order (defined with the metrics contract, contracts/metric-names.ts):
 * UNMAPPED_KEY_OURS (repair disables), UNMAPPED_KEY_FOREIGN (reported; `ops import` adopts), KEY_MISSING,
 * SHOULD_BE_DISABLED (repair disables), UNEXPECTEDLY_DISABLED (details say by whom), LABEL_DRIFT (repair
 * re-labels), STUCK (repair finishes or fails), NOT_YET_ASSIGNED.
 */
export const FINDING_CATEGORIES = RECONCILIATION_FINDING_CATEGORIES;
export type FindingCategory = ReconciliationFindingCategory;

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
