// What a workflow command prints last: that it started the execution (without --wait), or how it ended.
import type { FollowedExecution } from "../follow-execution.js";
import { formatDuration, formatFields } from "../format.js";
import type { WorkflowRun } from "../run-workflow.js";

/** `Started <what>`, the execution's name and ARN, and the command to follow it with. */
export function describeStarted(what: string, run: WorkflowRun, followWith: string): string {
  return `Started ${what}\n${formatFields(
    [
      ["execution", run.executionName],
      ["arn", run.executionArn],
    ],
    "  ",
  )}\nFollow it with: ${followWith}   (or start with --wait)`;
}

export function describeEnd(what: string, result: FollowedExecution): string {
  const took = result.durationMs === undefined ? "" : ` in ${formatDuration(result.durationMs)}`;
  if (result.status === "SUCCEEDED") return `${what} SUCCEEDED${took}${staleNote(result.output)}`;
  const why = [result.error, result.cause].filter(Boolean).join(": ");
  return `${what} ${result.status}${took}${why ? `\n  error: ${why}` : ""}`;
}

/** A stale request succeeded without changing anything (the ordering rule): say so, with the two times. */
function staleNote(output: unknown): string {
  const { outcome, issuedAt, lastTransitionAt } = (output ?? {}) as Record<string, unknown>;
  if (outcome !== "stale") return "";
  return (
    `, but changed nothing: the request is stale (issued ${String(issuedAt)}, at or before the practice's ` +
    `last transition ${String(lastTransitionAt)})`
  );
}
