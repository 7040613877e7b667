// One execution of an extracted state machine on aws-local-stepfunctions: its Lambda Tasks, context object and
// test overrides wired in, its history recorded, and the library's outcome turned into a Step Functions status.
import type { ExecutionStatus, HistoryEvent } from "@aws-sdk/client-sfn";
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from "aws-local-stepfunctions";
import { buildContextObject } from "./context-object.js";
import { ExecutionHistory, type LibraryEvent } from "./execution-history.js";
import { createLambdaTaskHandler, type LambdaHandler } from "./lambda-adapter.js";
import type { ExtractedFunction, ExtractedStateMachine } from "./state-machine-extractor.js";

export type JsonValue = Parameters<StateMachine["run"]>[0];

export interface ExecutionReference {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
}

export interface LoadedStateMachine {
  readonly extracted: ExtractedStateMachine;
  readonly runner: StateMachine;
  readonly creationDate: Date;
}

export interface ExecutionRecord extends ExecutionReference {
  readonly machine: LoadedStateMachine;
  readonly input: string;
  readonly startDate: Date;
  readonly history: ExecutionHistory;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  abort: () => void;
  done: Promise<void>;
}

/** What a run needs from the engine that starts it. */
export interface ExecutionRunContext {
  readonly loadHandler: (fn: ExtractedFunction) => Promise<LambdaHandler>;
  /** Told of every handler invocation as it starts, so the engine can wait for those left running. */
  readonly onInvocation: (running: Promise<unknown>) => void;
  readonly onEvent: (event: HistoryEvent, execution: ExecutionReference) => void;
  readonly retryIntervalOverrides?: number | Readonly<Record<string, number | readonly number[]>>;
  readonly waitTimeOverrides?: number | Readonly<Record<string, number>>;
}

/** Definitions already validated in this process: asl-validator takes ~200 ms per definition. */
const validatedDefinitions = new Set<string>();

export function createRunner(extracted: ExtractedStateMachine): StateMachine {
  const definition = extracted.runnableDefinition as unknown as StateMachineDefinition;
  const key = JSON.stringify(definition);
  const runner = new StateMachine(definition, {
    validationOptions: validatedDefinitions.has(key)
      ? { noValidate: true }
      : { checkPaths: true, checkArn: true },
  });
  validatedDefinitions.add(key);
  return runner;
}

/** Starts the execution; its record's `done` settles once the run has ended and its history is complete. */
export function runExecution(
  machine: LoadedStateMachine,
  reference: ExecutionReference,
  input: string,
  parsedInput: JsonValue,
  context: ExecutionRunContext,
): ExecutionRecord {
  const { extracted } = machine;
  const { executionArn, name } = reference;
  const history = new ExecutionHistory({
    roleArn: extracted.roleArn,
    lambdaTasks: extracted.lambdaTasks,
    onEvent: (event) => context.onEvent(event, reference),
  });
  const startDate = new Date();
  const ended = new AbortController();
  const taskResourceLocalHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
  for (const binding of extracted.lambdaTasks.values()) {
    const handler = createLambdaTaskHandler({
      binding,
      loadHandler: context.loadHandler,
      beginAttempt: (stateName) => history.beginAttempt(stateName),
      executionEnded: ended.signal,
      onInvocation: context.onInvocation,
    });
    taskResourceLocalHandlers[binding.stateName] = handler as (input: JsonValue) => Promise<JsonValue>;
  }
  const runOptions: RunOptions = {
    overrides: {
      taskResourceLocalHandlers,
      retryIntervalOverrides: perState(context.retryIntervalOverrides, extracted.stateNames) as Record<
        string,
        number | number[]
      >,
      waitTimeOverrides: perState(context.waitTimeOverrides, extracted.stateNames) as Record<string, number>,
    },
    context: buildContextObject({
      executionArn,
      executionName: name,
      startTime: startDate.toISOString(),
      input: parsedInput,
      roleArn: extracted.roleArn,
      stateMachineArn: extracted.stateMachineArn,
      stateMachineName: extracted.name,
    }),
  };
  const execution = machine.runner.run(parsedInput, runOptions);
  const record: ExecutionRecord = {
    ...reference,
    machine,
    input,
    startDate,
    history,
    status: "RUNNING",
    abort: execution.abort,
    done: Promise.resolve(),
  };
  const drained = (async () => {
    for await (const event of execution.eventLogs) history.recordLibraryEvent(event as LibraryEvent);
  })();
  const outcome = execution.result.then(
    (output) => ({ ok: true as const, output }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  record.done = Promise.all([outcome, drained]).then(([result]) => {
    finish(record, result);
    ended.abort();
  });
  return record;
}

function finish(
  record: ExecutionRecord,
  result: { ok: true; output: JsonValue } | { ok: false; error: unknown },
): void {
  const terminal = record.history.terminalEvent;
  record.stopDate = terminal?.timestamp ?? new Date();
  if (result.ok) {
    record.status = "SUCCEEDED";
    record.output = JSON.stringify(result.output);
  } else if (result.error instanceof ExecutionAbortedError) {
    record.status = "ABORTED";
  } else if (result.error instanceof ExecutionTimeoutError) {
    record.status = "TIMED_OUT";
  } else {
    record.status = "FAILED";
    const failed = terminal?.executionFailedEventDetails;
    if (failed) {
      record.error = failed.error;
      record.cause = failed.cause;
    } else {
      const cause = result.error instanceof ExecutionError ? (result.error.cause as Error) : result.error;
      record.error = cause instanceof Error ? cause.name : "States.Runtime";
      record.cause = cause instanceof Error ? cause.message : String(cause);
    }
  }
}

function perState<T>(
  override: T | Readonly<Record<string, T>> | undefined,
  stateNames: readonly string[],
): Record<string, T> | undefined {
  if (override === undefined) return undefined;
  if (typeof override === "number") return Object.fromEntries(stateNames.map((name) => [name, override]));
  return { ...(override as Record<string, T>) };
}
