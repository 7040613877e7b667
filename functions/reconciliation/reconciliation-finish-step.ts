// Reconciliation's last step (both paths): store the run's counts on its summary, publish the metrics and, on
// success, the ReconciliationCompleted event; return the outcome (a reference and counts, nothing more).

import { type FindingCounts, findingsNeedingAttention } from "../../contracts/reconciliation-findings.js";
import { sanitizeReason } from "../practice/practice-record.js";
import type { RunOutcomeFields } from "../practice/reconciliation-runs.js";
import { clock, type ReconciliationDeps, silent } from "./reconciliation-deps.js";
import type { Progress, StepState } from "./reconciliation-state.js";

/** The workflow's final output (and the FAILED path's): a reference and counts, nothing more. */
export interface RunOutcome {
  readonly runId: string;
  readonly status: "SUCCEEDED" | "FAILED";
  readonly repair: boolean;
  readonly counts: FindingCounts;
  readonly needingAttention: number;
  readonly repairs: Omit<Progress["repairs"], "after" | "finished">;
  readonly keysListed: number;
  readonly practicesChecked: number;
}

/** Stores the run's counts on its summary, publishes the metrics, and returns the outcome. */
export async function finishReconciliation(
  deps: ReconciliationDeps,
  state: StepState & { readonly error?: { readonly Error?: string; readonly Cause?: string } },
): Promise<RunOutcome> {
  const { run, progress } = state;
  const now = clock(deps)();
  const { after: _after, finished: _finished, ...repairs } = progress.repairs;
  const needingAttention = findingsNeedingAttention(progress.counts, {
    repair: run.repair,
    repairsFailed: repairs.failed,
  });
  const status = state.error ? "FAILED" : "SUCCEEDED";
  const summary: RunOutcomeFields = {
    status,
    completedAt: now.toISOString(),
    counts: progress.counts,
    needingAttention,
    keysListed: progress.keys.listed,
    pagesListed: progress.keys.pages,
    practicesChecked: progress.practices.checked,
    repairs,
    ...(state.error ? { error: describeError(state.error) } : {}),
  };
  await deps.runs.finishRun(run.runId, summary);
  deps.publishMetrics?.(progress.counts, needingAttention);
  if (status === "SUCCEEDED") {
    // A retried finish publishes the same event again: its id derives from the run id, so consumers drop it.
    await deps.publishEvent?.({
      type: "ReconciliationCompleted",
      executionName: run.runId,
      occurredAt: summary.completedAt,
      findingsByCategory: progress.counts,
      needingAttention,
      repaired: repairs.done,
    });
  }
  (deps.logger ?? silent).info("reconciliation finished", { runId: run.runId, status, needingAttention });
  return {
    runId: run.runId,
    status,
    repair: run.repair,
    counts: progress.counts,
    needingAttention,
    repairs,
    keysListed: progress.keys.listed,
    practicesChecked: progress.practices.checked,
  };
}

function describeError(error: { readonly Error?: string; readonly Cause?: string }): string {
  let message = error.Cause ?? "";
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") message = parsed.errorMessage;
  } catch {
    // not JSON: the Cause is the message
  }
  return sanitizeReason(`${error.Error ?? "Error"}${message ? `: ${message}` : ""}`);
}
