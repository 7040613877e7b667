// Names of the executions ops starts: `ops-<practice>-<UTC time>`, readable in the console and unique per start.
import { userInfo } from "node:os";

const MAX_EXECUTION_NAME_LENGTH = 80;
const NOT_ALLOWED = /[^A-Za-z0-9_-]/g;

/** `2025-06-11T10:15:02.123Z` → `20250611T101502123Z`. */
function compactTime(now: Date): string {
  return now.toISOString().replace(/[-:.]/g, "");
}

/**
 * `ops-<subject>-<time>`: the subject (a practice id, or e.g. "reconcile") keeps only `[A-Za-z0-9_-]` ("." and
 * ":" become "_") and is cut so the name fits Step Functions' 80 characters. The input carries the exact id.
 */
export function opsExecutionName(subject: string, now: Date = new Date()): string {
  const time = compactTime(now);
  const room = MAX_EXECUTION_NAME_LENGTH - "ops-".length - 1 - time.length;
  const cleaned = subject.replace(NOT_ALLOWED, "_").slice(0, room);
  return `ops-${cleaned}-${time}`;
}

/** `ops:<os user>`: who asked, for the audit trail. */
export function opsRequester(): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME;
  }
  return `ops:${user && user.trim() !== "" ? user.trim() : "unknown"}`;
}
