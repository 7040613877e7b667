// How `ops reconcile` shows a run. Until the reconciliation domain lands on main this renders the workflow's
// output (its RunOutcome: runId and counts); the swap point is these two functions.

import { OperationFailed } from "./errors.js";
import type { OpsTarget } from "./targets.js";

export interface ReconciliationView {
  /** The --json document. */
  readonly document: unknown;
  readonly text: string;
}

/** A finished run, from the execution's output. */
export async function viewReconciliationOutcome(
  _target: OpsTarget,
  output: unknown,
): Promise<ReconciliationView> {
  const outcome = (output ?? {}) as {
    runId?: string;
    counts?: Record<string, number>;
    needingAttention?: number;
  };
  const counts = Object.entries(outcome.counts ?? {}).map(
    ([category, n]) => `  ${category.padEnd(22)} ${String(n).padStart(7)}`,
  );
  const text = [
    `Reconciliation run ${outcome.runId ?? "(no run id)"}`,
    ...(counts.length ? ["Findings by category:", ...counts] : []),
    ...(outcome.needingAttention === undefined ? [] : [`  needing attention: ${outcome.needingAttention}`]),
  ].join("\n");
  return { document: { outcome: output }, text };
}

/** A stored run, by id, or the latest (`reconcile --show [runId]`). */
export async function viewReconciliationRun(
  target: OpsTarget,
  runId: string | true,
): Promise<ReconciliationView> {
  throw new OperationFailed(
    `cannot show ${runId === true ? "the latest reconciliation run" : `reconciliation run ${runId}`}: this build has no reconciliation domain to read stored runs with yet (${target.description})`,
  );
}
