// A stored reconciliation run as operators read it: `ops reconcile --show <runId>` and the end of `ops reconcile`.

import {
  ALWAYS_NEEDS_ATTENTION,
  FINDING_CATEGORIES,
  type Finding,
  type FindingCounts,
  REPAIRABLE_CATEGORIES,
} from "../../contracts/reconciliation-findings.js";
import { InvalidInput } from "../platform/errors.js";
import type { ReconciliationRunSummary } from "../practice/reconciliation-runs.js";
import type { ReconciliationStore } from "../practice/reconciliation-store.js";

/** A run's summary and its findings (masked keys only). */
export interface ReconciliationReport {
  readonly summary: ReconciliationRunSummary;
  readonly findings: readonly Finding[];
  /** True when more findings exist than `maxFindings` allowed to read. */
  readonly truncated: boolean;
}

/**
 * Reads a run's summary and up to `maxFindings` findings.
 * @throws InvalidInput when no run has that id.
 */
export async function readReconciliationRun(
  runs: ReconciliationStore,
  runId: string,
  options: { readonly maxFindings?: number } = {},
): Promise<ReconciliationReport> {
  const summary = await runs.getRun(runId);
  if (!summary)
    throw new InvalidInput(
      `no reconciliation run ${JSON.stringify(runId)} is stored (runs are kept 90 days)`,
    );
  const max = options.maxFindings ?? 10_000;
  const findings: Finding[] = [];
  let cursor: string | undefined;
  do {
    const page = await runs.readFindings(runId, cursor);
    findings.push(...page.findings);
    cursor = page.cursor;
  } while (cursor && findings.length < max);
  return {
    summary,
    findings: findings.slice(0, max),
    truncated: findings.length > max || cursor !== undefined,
  };
}

/** The most recent runs, newest first (for `ops reconcile --show` without an id). */
export function listReconciliationRuns(
  runs: ReconciliationStore,
  limit = 20,
): Promise<ReconciliationRunSummary[]> {
  return runs.listRuns(limit);
}

function formatDetails(details: Finding["details"]): string {
  return Object.entries(details)
    .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

function countsLine(counts: FindingCounts | undefined): string[] {
  return FINDING_CATEGORIES.map((category) => {
    const n = counts?.[category] ?? 0;
    const note = ALWAYS_NEEDS_ATTENTION.has(category)
      ? "needs a person"
      : REPAIRABLE_CATEGORIES.has(category)
        ? "repairable"
        : "report only";
    return `  ${category.padEnd(22)} ${String(n).padStart(7)}  (${note})`;
  });
}

/** Plain-text report: header, counts per category, then findings grouped by category. Never a full key. */
export function formatReconciliationReport(report: ReconciliationReport): string {
  const { summary } = report;
  const lines = [
    `Reconciliation ${summary.runId}: ${summary.status}${summary.repair ? " (repair)" : " (report only)"}`,
    `  started ${summary.startedAt}${summary.completedAt ? `, finished ${summary.completedAt}` : ""}`,
    `  grace ${summary.graceMinutes} min, not-yet-assigned after ${summary.notYetAssignedDays} days`,
  ];
  if (summary.keysListed !== undefined) {
    lines.push(
      `  ${plural(summary.keysListed, "portal key")} on ${plural(summary.pagesListed ?? 0, "page")}, ` +
        `${plural(summary.practicesChecked ?? 0, "practice")} checked`,
    );
  }
  if (summary.error) lines.push(`  error: ${summary.error}`);
  lines.push("", "Findings by category:", ...countsLine(summary.counts));
  if (summary.needingAttention !== undefined) lines.push(`  needing attention: ${summary.needingAttention}`);
  if (summary.repairs) {
    const r = summary.repairs;
    lines.push(
      `  repairs: ${r.done} done, ${r.skipped} skipped, ${r.failed} failed, ${r.deferred} deferred (within grace) of ${r.planned} planned`,
    );
  }
  for (const category of FINDING_CATEGORIES) {
    const group = report.findings.filter((f) => f.category === category);
    if (group.length === 0) continue;
    lines.push("", `${category} (${group.length})`);
    for (const finding of group) {
      const who = [
        finding.practiceId ? `practice ${finding.practiceId}` : undefined,
        finding.maskedKey ? `key ${finding.maskedKey}` : undefined,
      ]
        .filter(Boolean)
        .join(", ");
      lines.push(`  - ${who || "-"}: ${formatDetails(finding.details)}`);
    }
  }
  if (report.truncated) lines.push("", "(more findings stored than shown)");
  return lines.join("\n");
}

/** `1 page`, `2 pages`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
