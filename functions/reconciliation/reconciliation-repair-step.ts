// Reconciliation loop (repair runs only): make a few planned repairs from the cursor, each once — its outcome is
// stored before the cursor moves, so a retried invocation reports it instead of repeating it.
import { clock, limitsOf, need, type ReconciliationDeps } from "./reconciliation-deps.js";
import { executeRepair } from "./reconciliation-repair-steps.js";
import type { Progress, StepState } from "./reconciliation-state.js";

/** Makes up to `repairsPerInvocation` planned repairs from the cursor. */
export async function repairFindings(deps: ReconciliationDeps, state: StepState): Promise<Progress> {
  const limits = limitsOf(deps);
  const now = clock(deps);
  const started = now().getTime();
  const { run } = state;
  let progress = state.progress;
  const page = await deps.runs.readRepairs(
    run.runId,
    progress.repairs.after ?? undefined,
    limits.repairsPerInvocation,
  );
  let after = progress.repairs.after;
  let handled = 0;
  for (const stored of page.repairs) {
    if (handled > 0 && now().getTime() - started > limits.timeBudgetMs) break;
    handled += 1;
    const result = stored.outcome
      ? { outcome: stored.outcome.split(":")[0] as "done" | "skipped" | "failed", note: stored.outcome }
      : await executeRepair(
          {
            store: need(deps.store, "the practice store"),
            runs: deps.runs,
            portal: need(deps.portal, "a portal client"),
            executions: deps.executions,
            logger: deps.logger,
          },
          run,
          stored.repair,
          now,
        );
    if (!stored.outcome) {
      await deps.runs.recordRepairOutcome(run.runId, stored.sk, `${result.outcome}: ${result.note}`, now());
    }
    after = stored.sk;
    progress = {
      ...progress,
      repairs: {
        ...progress.repairs,
        [result.outcome]: progress.repairs[result.outcome] + 1,
        after,
      },
    };
  }
  const finished = handled === page.repairs.length && page.lastSk === undefined;
  return { ...progress, repairs: { ...progress.repairs, after, finished } };
}
