// Reconciliation step 1: validate the input, record the run as RUNNING, tidy the open-attempt index, and
// return the initial cursor state.

import { emptyCounts } from "../../contracts/reconciliation-findings.js";
import { unaccountedPosts } from "./reconciliation-classify.js";
import { clock, limitsOf, type ReconciliationDeps, silent } from "./reconciliation-deps.js";
import { parseReconciliationRequest } from "./reconciliation-input.js";
import type { StepState } from "./reconciliation-state.js";

/** Validates the input, records the run as RUNNING and returns the initial state. */
export async function startReconciliation(
  deps: ReconciliationDeps,
  event: { readonly input: unknown; readonly executionName: string },
): Promise<StepState> {
  const request = parseReconciliationRequest(event.input);
  const now = clock(deps)();
  const summary = await deps.runs.startRun({ runId: event.executionName, ...request }, now);
  await resolveAccountedAttempts(deps, event.executionName, now);
  (deps.logger ?? silent).info("reconciliation started", { runId: summary.runId, repair: summary.repair });
  return {
    run: {
      runId: summary.runId,
      repair: summary.repair,
      graceMinutes: summary.graceMinutes,
      notYetAssignedDays: summary.notYetAssignedDays,
      startedAt: summary.startedAt,
    },
    progress: {
      chunk: 0,
      counts: emptyCounts(),
      keys: { nextOffset: 0, listed: 0, pages: 0, done: false },
      practices: { status: 0, after: null, checked: 0, done: false },
      candidates: { count: 0, verdict: "pending", after: null, done: false },
      repairs: {
        planned: 0,
        done: 0,
        skipped: 0,
        failed: 0,
        deferred: 0,
        after: null,
        finished: !summary.repair,
      },
    },
  };
}

/**
 * Takes attempts whose one POST got its key recorded out of the open-attempt index (bookkeeping only; every
 * run does it, report-only too, or the index would grow with every onboarding).
 */
async function resolveAccountedAttempts(deps: ReconciliationDeps, runId: string, now: Date): Promise<void> {
  const attempts = await deps.runs.listOpenAttempts();
  const accounted = attempts
    .filter((a) => unaccountedPosts(a) === 0)
    .slice(0, limitsOf(deps).housekeepingPerRun);
  for (const attempt of accounted) {
    await deps.runs.resolveAttempt(attempt, { runId, note: "key recorded by the onboarding", now });
  }
}
