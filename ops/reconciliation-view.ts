// How `ops reconcile` shows a run: the stored summary and findings (masked keys only), read and formatted by the
// reconciliation domain's own report functions, so the CLI and the runbook show the same report.
import { redactCustomerKeys } from "../functions/platform/mask.js";
import { ReconciliationStore } from "../functions/practice/reconciliation-store.js";
import {
  formatReconciliationReport,
  listReconciliationRuns,
  type ReconciliationReport,
  readReconciliationRun,
} from "../functions/reconciliation/reconciliation-report.js";
import { STACK_OUTPUTS } from "../local/local-endpoints.js";
import { OperationFailed } from "./errors.js";
import type { OpsTarget } from "./targets.js";

export interface ReconciliationView {
  /** The --json document. */
  readonly document: ReconciliationReport;
  readonly text: string;
}

function storeFor(target: OpsTarget): ReconciliationStore {
  return new ReconciliationStore({
    client: target.documentClient,
    tableName: target.output(STACK_OUTPUTS.tableName, "practice table"),
  });
}

async function view(target: OpsTarget, runId: string): Promise<ReconciliationView> {
  let report: ReconciliationReport;
  try {
    report = await readReconciliationRun(storeFor(target), runId);
  } catch (error) {
    if ((error as Error).name === "InvalidInput") throw new OperationFailed((error as Error).message);
    throw error;
  }
  return { document: report, text: redactCustomerKeys(formatReconciliationReport(report)) };
}

/** The run a finished reconciliation execution reported (its output names the run). */
export async function viewReconciliationOutcome(
  target: OpsTarget,
  output: unknown,
): Promise<ReconciliationView> {
  const runId = (output as { runId?: unknown } | undefined)?.runId;
  if (typeof runId !== "string")
    throw new OperationFailed("the reconciliation ended without naming its run (no runId in its output)");
  return view(target, runId);
}

/** A stored run, by id, or the latest (`reconcile --show [runId]`). */
export async function viewReconciliationRun(
  target: OpsTarget,
  runId: string | true,
): Promise<ReconciliationView> {
  if (runId !== true) return view(target, runId);
  const [latest] = await listReconciliationRuns(storeFor(target), 1);
  if (!latest)
    throw new OperationFailed(
      `no reconciliation run is stored in ${target.description} yet: start one with reconcile`,
    );
  return view(target, latest.runId);
}
