// `ops adopt-key <maskedKey> --practice <id> [--run <runId>]`: the operator says a lost-POST candidate is ours —
// the orphan of one of the practice's create attempts. It enters the ledger (never as the practice's key: a
// returning or FAILED practice is onboarded again for a fresh one) and the next `reconcile --repair` disables it.
import { adoptCandidateKey, parseAttemptId } from "../../functions/practice/candidate-keys.js";
import {
  candidateRun,
  findCandidate,
  onboardingRunning,
  shownCandidate,
  tableOf,
} from "../candidate-keys.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode, OperationFailed } from "../errors.js";
import { opsRequester } from "../execution-names.js";
import type { MaskedKeyArgument } from "../masked-key-argument.js";
import { keyAdministratorRefusal } from "./candidate-refusal.js";

export interface AdoptKeyRequest {
  readonly maskedKey: MaskedKeyArgument;
  readonly practiceId: string;
  readonly run?: string;
}

export async function adoptKey(context: CommandContext, request: AdoptKeyRequest): Promise<ExitCode> {
  const { target } = context;
  const runId = await candidateRun(target, request.run);
  const candidate = await findCandidate(target, runId, request.maskedKey);
  const maskedKey = shownCandidate(candidate);
  const attempt = candidate.attemptIds.map(parseAttemptId).find((a) => a.practiceId === request.practiceId);
  if (!attempt)
    throw new OperationFailed(
      `${maskedKey} is not dated near a lost POST of ${request.practiceId}: its attempts are of ` +
        [...new Set(candidate.attemptIds.map((id) => parseAttemptId(id).practiceId))].join(", "),
    );
  // As reconciliation: a running execution may still record the key or POST again (docs/architecture.md §4, invariant 4).
  if (await onboardingRunning(target, attempt.executionName))
    throw new OperationFailed(
      `onboarding execution ${attempt.executionName} of ${request.practiceId} is still running: wait for it to end`,
    );
  const actor = opsRequester();
  const result = await adoptCandidateKey(tableOf(target), {
    keyFingerprint: candidate.keyFingerprint,
    maskedKey: candidate.maskedKey,
    practiceId: request.practiceId,
    executionName: attempt.executionName,
    runId,
    actor,
    now: new Date(),
  }).catch(keyAdministratorRefusal("adopt-key"));
  context.printJson({
    command: "adopt-key",
    maskedKey,
    practiceId: request.practiceId,
    executionName: attempt.executionName,
    runId,
    ...result,
  });
  context.print(
    result.outcome === "already-adopted"
      ? `${maskedKey} is already adopted for ${request.practiceId}: nothing changed.`
      : `${maskedKey} adopted for ${request.practiceId} as the lost answer of ${attempt.executionName}` +
          `${result.attemptResolved ? " (every POST of that attempt is now accounted for)" : ""}.\n` +
          `The next repairing reconciliation disables it: ${context.opsCommand("reconcile --repair --wait")}`,
  );
  return EXIT.ok;
}
