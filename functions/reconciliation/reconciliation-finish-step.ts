// Reconciliation's last step (both paths): store the run's counts on its summary — on success with its
// ReconciliationCompleted event, written to the table's outbox in the same transaction (docs/events.md
// "Delivery") — publish the metrics, and return the outcome (a reference and counts, nothing more).

import { type FindingCounts, findingsNeedingAttention } from "../../contracts/reconciliation-findings.js";
import { outboxMessage } from "../domain-events/outbox-message.js";
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

/** Stores the run's counts on its summary (with its event), publishes the metrics, and returns the outcome. */
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
  // A retried finish writes the same event again: its id derives from the run id, so consumers drop it.
  const completed =
    status === "SUCCEEDED"
      ? outboxMessage({
          type: "ReconciliationCompleted",
          executionName: run.runId,
          occurredAt: summary.completedAt,
          findingsByCategory: progress.counts,
          needingAttention,
          repaired: repairs.done,
        })
      : undefined;
  await deps.runs.finishRun(run.runId, summary, completed);
  deps.publishMetrics?.(progress.counts, needingAttention);
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
