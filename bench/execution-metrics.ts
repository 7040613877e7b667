// What one execution's history says it cost: state transitions (Step Functions bills each state entered), Lambda
// invocations and their durations, retries, and the largest payload any event carried.
import type { HistoryEvent } from "@aws-sdk/client-sfn";

export interface LambdaInvocation {
  /** The Task state that invoked it. */
  readonly stateName: string;
  /** Started → Succeeded/Failed/TimedOut, from the history's timestamps. */
  readonly durationMs: number;
  readonly succeeded: boolean;
}

export interface ExecutionMetrics {
  /** Names of the states entered, in order. */
  readonly statesEntered: readonly string[];
  readonly stateTransitions: number;
  readonly lambdaInvocations: readonly LambdaInvocation[];
  /** Invocations that failed (each one Step Functions retried or caught). */
  readonly failedInvocations: number;
  /** Bytes (UTF-8) of the largest input, output or parameters any history event carried. */
  readonly largestPayloadBytes: number;
  /** ExecutionStarted → the terminal event. */
  readonly durationMs: number;
}

const SCHEDULED = new Set(["LambdaFunctionScheduled", "TaskScheduled"]);
const STARTED = new Set(["LambdaFunctionStarted", "TaskStarted"]);
const ENDED = new Set([
  "LambdaFunctionSucceeded",
  "LambdaFunctionFailed",
  "LambdaFunctionTimedOut",
  "TaskSucceeded",
  "TaskFailed",
  "TaskTimedOut",
]);

export function executionMetrics(events: readonly HistoryEvent[]): ExecutionMetrics {
  const statesEntered: string[] = [];
  const invocations: LambdaInvocation[] = [];
  let currentState = "";
  let startedAt: number | undefined;
  let largestPayloadBytes = 0;
  for (const event of events) {
    const type = event.type ?? "";
    largestPayloadBytes = Math.max(largestPayloadBytes, payloadBytes(event));
    if (type.endsWith("StateEntered")) {
      currentState = event.stateEnteredEventDetails?.name ?? "";
      statesEntered.push(currentState);
    } else if (SCHEDULED.has(type)) {
      startedAt = undefined;
    } else if (STARTED.has(type)) {
      startedAt = event.timestamp?.getTime();
    } else if (ENDED.has(type)) {
      const endedAt = event.timestamp?.getTime() ?? 0;
      invocations.push({
        stateName: currentState,
        durationMs: startedAt === undefined ? 0 : endedAt - startedAt,
        succeeded: type.endsWith("Succeeded"),
      });
    }
  }
  const scheduled = events.filter((event) => SCHEDULED.has(event.type ?? "")).length;
  if (scheduled !== invocations.length)
    throw new Error(`history has ${scheduled} scheduled invocations but ${invocations.length} that ended`);
  const first = events[0]?.timestamp?.getTime() ?? 0;
  const last = events.at(-1)?.timestamp?.getTime() ?? first;
  return {
    statesEntered,
    stateTransitions: statesEntered.length,
    lambdaInvocations: invocations,
    failedInvocations: invocations.filter((invocation) => !invocation.succeeded).length,
    largestPayloadBytes,
    durationMs: last - first,
  };
}

function payloadBytes(event: HistoryEvent): number {
  let largest = 0;
  for (const [key, details] of Object.entries(event)) {
    if (!key.endsWith("EventDetails") || typeof details !== "object" || details === null) continue;
    for (const field of ["input", "output", "parameters"]) {
      const value = (details as Record<string, unknown>)[field];
      if (typeof value === "string") largest = Math.max(largest, Buffer.byteLength(value));
    }
  }
  return largest;
}
