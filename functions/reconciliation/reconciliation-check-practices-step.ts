// Reconciliation loop: check a few hundred practice records from the cursor, status by status, against what
// the listing saw (KEY_MISSING) and their executions (STUCK).
import { PRACTICE_STATUSES } from "../../contracts/table-schema.js";
import { classifyPractice, type ExecutionState, needsExecutionCheck } from "./reconciliation-classify.js";
import { clock, limitsOf, type ReconciliationDeps } from "./reconciliation-deps.js";
import { type Batch, type Progress, type StepState, withBatch, writeBatch } from "./reconciliation-state.js";

/** Checks up to `practicesPerInvocation` practice records from the cursor: KEY_MISSING and STUCK. */
export async function checkPractices(deps: ReconciliationDeps, state: StepState): Promise<Progress> {
  const limits = limitsOf(deps);
  const now = clock(deps);
  const { run } = state;
  let progress = state.progress;
  let checkedHere = 0;
  while (!progress.practices.done && checkedHere < limits.practicesPerInvocation) {
    const status = PRACTICE_STATUSES[progress.practices.status]!;
    const page = await deps.runs.practicesPage(
      status,
      progress.practices.after ?? undefined,
      Math.min(100, limits.practicesPerInvocation - checkedHere),
    );
    const at = now();
    const seen = await deps.runs.getSeenKeys(
      run.runId,
      page.practices.flatMap((p) => (p.keyFingerprint ? [p.keyFingerprint] : [])),
    );
    const batch: Batch = { findings: [], repairs: [], deferred: 0 };
    for (const practice of page.practices) {
      let execution: ExecutionState | undefined;
      if (needsExecutionCheck(practice, run, at)) {
        execution = deps.executions
          ? await deps.executions.status(
              practice.status as "ONBOARDING" | "OFFBOARDING",
              practice.lastExecution,
            )
          : "UNKNOWN";
      }
      const result = classifyPractice(practice, {
        seen: practice.keyFingerprint ? seen.get(practice.keyFingerprint) : undefined,
        execution,
        params: run,
        now: at,
      });
      batch.findings.push(...result.findings);
      batch.repairs.push(...result.repairs);
      batch.deferred += result.deferred;
    }
    const chunk = progress.chunk;
    await writeBatch(deps, run.runId, chunk, batch, at);
    checkedHere += page.practices.length;
    const nextStatus = page.last === undefined ? progress.practices.status + 1 : progress.practices.status;
    progress = {
      ...progress,
      ...withBatch(progress, batch),
      chunk: chunk + 1,
      practices: {
        status: nextStatus,
        after: page.last ?? null,
        checked: progress.practices.checked + page.practices.length,
        done: nextStatus >= PRACTICE_STATUSES.length,
      },
    };
  }
  return progress;
}
