// The closing line of a followed execution: how it ended, and why when it failed.
import type { FollowedExecution } from "../follow-execution.js";
import { formatDuration } from "../format.js";

export function describeEnd(what: string, result: FollowedExecution): string {
  const took = result.durationMs === undefined ? "" : ` in ${formatDuration(result.durationMs)}`;
  if (result.status === "SUCCEEDED") return `${what} SUCCEEDED${took}`;
  const why = [result.error, result.cause].filter(Boolean).join(": ");
  return `${what} ${result.status}${took}${why ? `\n  error: ${why}` : ""}`;
}
