// `ops release-key <maskedKey> --reason <why> [--run <runId>]`: the operator says a lost-POST candidate is not ours
// (made by hand in the Developer Portal, say). Reconciliation never counts it as a candidate again, so no repair
// ever adopts or disables it.
import { releaseCandidateKey } from "../../functions/practice/candidate-keys.js";
import { candidateRun, findCandidate, shownCandidate, tableOf } from "../candidate-keys.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode } from "../errors.js";
import { opsRequester } from "../execution-names.js";
import type { MaskedKeyArgument } from "../masked-key-argument.js";
import { keyAdministratorRefusal } from "./candidate-refusal.js";

export interface ReleaseKeyRequest {
  readonly maskedKey: MaskedKeyArgument;
  readonly reason: string;
  readonly run?: string;
}

export async function releaseKey(context: CommandContext, request: ReleaseKeyRequest): Promise<ExitCode> {
  const { target } = context;
  const runId = await candidateRun(target, request.run);
  const candidate = await findCandidate(target, runId, request.maskedKey);
  const maskedKey = shownCandidate(candidate);
  const result = await releaseCandidateKey(tableOf(target), {
    keyFingerprint: candidate.keyFingerprint,
    maskedKey: candidate.maskedKey,
    runId,
    actor: opsRequester(),
    reason: request.reason,
    now: new Date(),
  }).catch(keyAdministratorRefusal("release-key"));
  context.printJson({ command: "release-key", outcome: result.outcome, ...result.release });
  context.print(
    result.outcome === "already-released"
      ? `${maskedKey} was already released by ${result.release.releasedBy} at ${result.release.releasedAt}: nothing changed.`
      : `${maskedKey} released as not ours: no reconciliation will count it as a candidate or change it.`,
  );
  return EXIT.ok;
}
