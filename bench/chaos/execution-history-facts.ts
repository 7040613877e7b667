// Facts read from one execution's history: which states it entered, how often a Task was retried and on which
// error, what its claim step decided.
import type { HistoryEvent } from "@aws-sdk/client-sfn";

export interface HistoryFacts {
  /** Names of the states entered, in order (repeats kept). */
  readonly statesEntered: string[];
  /** Task attempts after the first, per state entry (Step Functions Retry). */
  readonly retries: number;
  /** Error name of each retried failure. */
  readonly retriedErrors: string[];
  /** Errors of Task failures no retry followed (caught or fatal). */
  readonly finalErrors: string[];
  /** The output of each state as it exited, parsed, by state name (last exit wins). */
  readonly outputs: Map<string, unknown>;
}

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function historyFacts(events: readonly HistoryEvent[]): HistoryFacts {
  const statesEntered: string[] = [];
  const retriedErrors: string[] = [];
  const finalErrors: string[] = [];
  const outputs = new Map<string, unknown>();
  let pendingFailure: string | undefined;
  for (const event of events) {
    if (event.stateEnteredEventDetails?.name !== undefined && event.type?.endsWith("StateEntered")) {
      if (pendingFailure !== undefined) finalErrors.push(pendingFailure);
      pendingFailure = undefined;
      statesEntered.push(event.stateEnteredEventDetails.name);
    } else if (event.type === "TaskFailed" || event.type === "LambdaFunctionFailed") {
      if (pendingFailure !== undefined) finalErrors.push(pendingFailure);
      pendingFailure =
        event.taskFailedEventDetails?.error ?? event.lambdaFunctionFailedEventDetails?.error ?? "unknown";
    } else if (event.type === "TaskTimedOut" || event.type === "LambdaFunctionTimedOut") {
      if (pendingFailure !== undefined) finalErrors.push(pendingFailure);
      pendingFailure = "States.Timeout";
    } else if (event.type === "TaskScheduled" || event.type === "LambdaFunctionScheduled") {
      if (pendingFailure !== undefined) retriedErrors.push(pendingFailure);
      pendingFailure = undefined;
    } else if (event.stateExitedEventDetails?.name !== undefined) {
      if (pendingFailure !== undefined) finalErrors.push(pendingFailure);
      pendingFailure = undefined;
      outputs.set(event.stateExitedEventDetails.name, parse(event.stateExitedEventDetails.output));
    }
  }
  if (pendingFailure !== undefined) finalErrors.push(pendingFailure);
  return { statesEntered, retries: retriedErrors.length, retriedErrors, finalErrors, outputs };
}

/** The onboarding claim's outcome (`claimed`, `returning`, `alreadyActive`, `inProgress`), if it got that far. */
export function claimOutcome(facts: HistoryFacts, claimState: string): string | undefined {
  const output = facts.outputs.get(claimState) as { outcome?: unknown } | undefined;
  return typeof output?.outcome === "string" ? output.outcome : undefined;
}
