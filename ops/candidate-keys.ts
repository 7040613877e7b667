// Lost-POST candidates for the ops CLI: which run's report to read, the candidate a masked form names, and
// whether its attempt's onboarding is still running.
import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { currentMaskedKey, maskByFingerprint } from "../functions/key-custody/masked-key.js";
import { type RunCandidate, readRunCandidates } from "../functions/practice/candidate-keys.js";
import type { PracticeTable } from "../functions/practice/practice-table.js";
import { ReconciliationStore } from "../functions/practice/reconciliation-store.js";
import { listReconciliationRuns } from "../functions/reconciliation/reconciliation-report.js";
import { STACK_OUTPUTS } from "../local/local-endpoints.js";
import { OperationFailed } from "./errors.js";
import { type MaskedKeyArgument, namesMaskedKey } from "./masked-key-argument.js";
import type { OpsTarget } from "./targets.js";

export function tableOf(target: OpsTarget): PracticeTable {
  const fingerprint = target.keyFingerprinter();
  return {
    client: target.documentClient,
    tableName: target.output(STACK_OUTPUTS.tableName, "practice table"),
    ...(fingerprint ? { fingerprint } : {}),
  };
}

/** The run to read: the one named, or the latest that finished (a running one has not decided its candidates). */
export async function candidateRun(target: OpsTarget, runId: string | undefined): Promise<string> {
  const store = new ReconciliationStore({
    client: target.documentClient,
    tableName: target.output(STACK_OUTPUTS.tableName, "practice table"),
  });
  const runs = await listReconciliationRuns(store, 20);
  if (runId !== undefined) {
    const named = runs.find((run) => run.runId === runId) ?? (await store.getRun(runId));
    if (!named)
      throw new OperationFailed(`no reconciliation run ${runId} is stored in ${target.description}`);
    return named.runId;
  }
  const latest = runs.find((run) => run.status === "SUCCEEDED");
  if (!latest)
    throw new OperationFailed(
      `no finished reconciliation run is stored in ${target.description} yet: start one with reconcile --wait`,
    );
  return latest.runId;
}

/** A candidate as every output shows it, `…W2HD #3f9a1c` (docs/architecture.md §4 invariant 13). */
export function shownCandidate(candidate: RunCandidate): string {
  // Its stored mask: the key itself is the run's ciphertext, which ops cannot open (§4 invariant 13).
  return (
    currentMaskedKey(candidate.maskedKey, candidate.keyFingerprint) ??
    maskByFingerprint(candidate.keyFingerprint)
  );
}

/** The run's candidate the argument names (one, or a clear error). */
export async function findCandidate(
  target: OpsTarget,
  runId: string,
  argument: MaskedKeyArgument,
): Promise<RunCandidate> {
  const maskedKey = argument.shown;
  const candidates = await readRunCandidates(tableOf(target), runId);
  const matching = candidates.filter((candidate) => namesMaskedKey(argument, shownCandidate(candidate)));
  if (matching.length === 0)
    throw new OperationFailed(
      `run ${runId} lists no candidate ${maskedKey}` +
        (candidates.length === 0
          ? " (it has none; candidates are kept 3 days after their run)"
          : `: its candidates are ${candidates.map(shownCandidate).join(", ")}`),
    );
  if (matching.length > 1)
    throw new OperationFailed(
      `${matching.length} candidates of run ${runId} show as ${maskedKey}: decide them in the Developer Portal`,
    );
  return matching[0]!;
}

/** True when the onboarding execution of that name is still running (it may still record or re-POST). */
export async function onboardingRunning(target: OpsTarget, executionName: string): Promise<boolean> {
  const machine = target.output(STACK_OUTPUTS.onboarding, "onboarding workflow");
  const executionArn = `${machine.replace(":stateMachine:", ":execution:")}:${executionName}`;
  try {
    const { status } = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return status === "RUNNING";
  } catch (error) {
    if ((error as Error).name === "ExecutionDoesNotExist") return false;
    throw error;
  }
}

/** One line of evidence per attempt: `practice-1 (crm-abc)`. */
export function describeAttempts(attemptIds: readonly string[]): string {
  return attemptIds
    .map((id) => {
      const at = id.indexOf("#");
      return `${id.slice(0, at)} (${id.slice(at + 1)})`;
    })
    .join(", ");
}
