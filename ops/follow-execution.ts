// `--wait`: follows one execution's history state by state until it ends, reporting each state entered,
// succeeded, failed or retried as it happens, with timings. Error and cause text goes through
// redactCustomerKeys as a last line of defence (the workflows keep keys out of payloads by design).

import { setTimeout as delay } from "node:timers/promises";
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { redactCustomerKeys } from "../functions/platform/mask.js";
import { formatDuration } from "./format.js";

export type ProgressKind =
  | "started"
  | "entered"
  | "succeeded"
  | "failed"
  | "timed-out"
  | "retried"
  | "execution-succeeded"
  | "execution-failed";

/** One thing that happened in the execution, as `--wait` reports it. */
export interface ProgressEvent {
  readonly kind: ProgressKind;
  /** ISO time of the event. */
  readonly at: string;
  /** Milliseconds since the execution started. */
  readonly elapsedMs: number;
  readonly state?: string;
  readonly durationMs?: number;
  readonly attempt?: number;
  readonly error?: string;
  readonly cause?: string;
  /** The line shown to a person. */
  readonly text: string;
}

export interface FollowedExecution {
  readonly executionArn: string;
  readonly status: string;
  readonly startDate?: string;
  readonly stopDate?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
  /** The execution's output, parsed (secret-free by design; customer keys redacted anyway). */
  readonly output?: unknown;
  readonly events: readonly ProgressEvent[];
}

export interface FollowOptions {
  readonly pollIntervalMs: number;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Stops the following (never the execution): followExecution then rejects at once. */
  readonly signal?: AbortSignal;
}

/** States whose end is worth a line of its own (a Choice or Pass ends the moment it starts). */
const STATES_WITH_DURATION = new Set(["Task", "Map", "Parallel", "Wait"]);
const HISTORY_PAGE = 100;

function redact(text: string | undefined): string | undefined {
  return text === undefined ? undefined : redactCustomerKeys(text);
}

/** The cause as shown: a JSON Lambda error envelope is reduced to its message. */
function readableCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string") return redact(parsed.errorMessage);
  } catch {
    // Not JSON: shown as it is.
  }
  return redact(cause);
}

function failureText(error: string | undefined, cause: string | undefined): string {
  return [error, cause].filter(Boolean).join(": ");
}

/** Turns history events into progress events; keeps the per-state bookkeeping between polls. */
class ProgressTracker {
  private startedAt: number | undefined;
  private currentState: string | undefined;
  private readonly enteredAt = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  private readonly stateTypes = new Map<string, string>();
  /** States whose last attempt failed: their exit is a Catch taking over, not a success. */
  private readonly lastAttemptFailed = new Set<string>();

  toProgress(event: HistoryEvent): ProgressEvent | undefined {
    const time = event.timestamp ? new Date(event.timestamp).getTime() : Date.now();
    this.startedAt ??= time;
    const base = { at: new Date(time).toISOString(), elapsedMs: time - this.startedAt };
    const type = event.type ?? "";
    const make = (fields: Omit<ProgressEvent, "at" | "elapsedMs">): ProgressEvent => ({ ...base, ...fields });

    if (type === "ExecutionStarted") return make({ kind: "started", text: "execution started" });
    if (type.endsWith("StateEntered") && event.stateEnteredEventDetails?.name) {
      const state = event.stateEnteredEventDetails.name;
      this.currentState = state;
      this.enteredAt.set(state, time);
      this.attempts.set(state, 0);
      this.stateTypes.set(state, type.slice(0, -"StateEntered".length));
      this.lastAttemptFailed.delete(state);
      return make({ kind: "entered", state, text: `→ ${state}` });
    }
    if (type.endsWith("StateExited") && event.stateExitedEventDetails?.name) {
      const state = event.stateExitedEventDetails.name;
      if (!STATES_WITH_DURATION.has(this.stateTypes.get(state) ?? "")) return undefined;
      // The ✗ line said it; the next → line says where the Catch went.
      if (this.lastAttemptFailed.has(state)) return undefined;
      const durationMs = time - (this.enteredAt.get(state) ?? time);
      return make({
        kind: "succeeded",
        state,
        durationMs,
        text: `✓ ${state} (${formatDuration(durationMs)})`,
      });
    }
    if (type === "TaskScheduled" || type === "LambdaFunctionScheduled") {
      const state = this.currentState ?? "?";
      const attempt = (this.attempts.get(state) ?? 0) + 1;
      this.attempts.set(state, attempt);
      this.lastAttemptFailed.delete(state);
      if (attempt === 1) return undefined;
      return make({ kind: "retried", state, attempt, text: `↻ ${state} retry (attempt ${attempt})` });
    }
    const failure =
      event.taskFailedEventDetails ??
      event.lambdaFunctionFailedEventDetails ??
      event.taskTimedOutEventDetails ??
      event.lambdaFunctionTimedOutEventDetails;
    if (failure && /(Failed|TimedOut)$/.test(type) && !type.startsWith("Execution")) {
      const state = this.currentState ?? "?";
      const error = redact(failure.error);
      const cause = readableCause(failure.cause);
      const kind = type.endsWith("TimedOut") ? "timed-out" : "failed";
      this.lastAttemptFailed.add(state);
      const attempt = this.attempts.get(state) || 1;
      const verb = kind === "timed-out" ? "timed out" : "failed";
      return make({
        kind,
        state,
        attempt,
        ...(error ? { error } : {}),
        ...(cause ? { cause } : {}),
        text: `✗ ${state} ${verb} (attempt ${attempt}): ${failureText(error, cause)}`,
      });
    }
    if (type === "ExecutionSucceeded")
      return make({ kind: "execution-succeeded", text: `SUCCEEDED in ${formatDuration(base.elapsedMs)}` });
    const ended =
      event.executionFailedEventDetails ??
      event.executionTimedOutEventDetails ??
      event.executionAbortedEventDetails;
    if (type === "ExecutionFailed" || type === "ExecutionTimedOut" || type === "ExecutionAborted") {
      const status = {
        ExecutionFailed: "FAILED",
        ExecutionTimedOut: "TIMED_OUT",
        ExecutionAborted: "ABORTED",
      }[type];
      const error = redact(ended?.error);
      const cause = readableCause(ended?.cause);
      return make({
        kind: "execution-failed",
        ...(error ? { error } : {}),
        ...(cause ? { cause } : {}),
        text: `${status} after ${formatDuration(base.elapsedMs)}${error || cause ? `: ${failureText(error, cause)}` : ""}`,
      });
    }
    return undefined;
  }
}

/** Events after `afterId`, oldest first: reads newest-first pages until it reaches events already seen. */
async function newEvents(
  client: SFNClient,
  executionArn: string,
  afterId: number,
  signal: AbortSignal | undefined,
): Promise<HistoryEvent[]> {
  const collected: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: HISTORY_PAGE,
        nextToken,
      }),
      { abortSignal: signal },
    );
    for (const event of page.events ?? []) {
      if ((event.id ?? 0) <= afterId) return collected.reverse();
      collected.push(event);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return collected.reverse();
}

const TERMINAL = new Set(["ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"]);

function parseOutput(output: string | undefined): unknown {
  if (output === undefined) return undefined;
  const text = redactCustomerKeys(output);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Polls the execution's history until it ends; resolves with its final status and every progress event. */
export async function followExecution(
  client: SFNClient,
  executionArn: string,
  options: FollowOptions,
): Promise<FollowedExecution> {
  const tracker = new ProgressTracker();
  const events: ProgressEvent[] = [];
  let lastId = 0;
  const { signal } = options;
  for (;;) {
    signal?.throwIfAborted();
    const batch = await newEvents(client, executionArn, lastId, signal);
    let ended = false;
    for (const event of batch) {
      lastId = Math.max(lastId, event.id ?? lastId);
      const progress = tracker.toProgress(event);
      if (progress) {
        events.push(progress);
        options.onProgress?.(progress);
      }
      if (TERMINAL.has(event.type ?? "")) ended = true;
    }
    if (ended) break;
    await delay(options.pollIntervalMs, undefined, signal ? { signal } : {});
  }
  const final: DescribeExecutionOutput = await client.send(new DescribeExecutionCommand({ executionArn }), {
    abortSignal: signal,
  });
  const start = final.startDate ? new Date(final.startDate) : undefined;
  const stop = final.stopDate ? new Date(final.stopDate) : undefined;
  const error = redact(final.error);
  const cause = readableCause(final.cause);
  const output = parseOutput(final.output);
  return {
    executionArn,
    status: final.status ?? "UNKNOWN",
    ...(start ? { startDate: start.toISOString() } : {}),
    ...(stop ? { stopDate: stop.toISOString() } : {}),
    ...(start && stop ? { durationMs: stop.getTime() - start.getTime() } : {}),
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
    ...(output === undefined ? {} : { output }),
    events,
  };
}
