// One execution's history in the shape GetExecutionHistory returns on AWS, built from aws-local-stepfunctions'
// event log plus the Lambda adapter's attempt reports. Also tracks each state's entered time and retry count.
import type { HistoryEvent, HistoryEventType } from "@aws-sdk/client-sfn";
import type { StateMachine } from "aws-local-stepfunctions";
import type { StateContext } from "./context-object.js";
import { LOCAL_REGION } from "./fake-aws.js";
import type { TaskAttempt, TaskAttemptEvent } from "./lambda-adapter.js";
import type { LambdaTaskBinding } from "./state-machine-extractor.js";

/** aws-local-stepfunctions does not export its event type; take it from `run()`. */
export type LibraryEvent =
  ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

export interface ExecutionHistoryOptions {
  readonly roleArn: string;
  readonly lambdaTasks: ReadonlyMap<string, LambdaTaskBinding>;
  /** Called for every event appended. */
  readonly onEvent?: (event: HistoryEvent) => void;
}

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  private readonly entries = new Map<string, { enteredTime: string; retryCount: number }>();
  private readonly activeAttempts = new Map<number, string>();
  private nextAttemptId = 1;
  private closed = false;

  constructor(private readonly options: ExecutionHistoryOptions) {}

  /** The terminal event, once the execution has ended. */
  get terminalEvent(): HistoryEvent | undefined {
    return this.closed ? this.events.at(-1) : undefined;
  }

  /** Maps one event of aws-local-stepfunctions' log to the AWS history events it stands for. */
  recordLibraryEvent(event: LibraryEvent): void {
    const timestamp = new Date(event.timestamp);
    switch (event.type) {
      case "ExecutionStarted":
        this.append("ExecutionStarted", timestamp, {
          executionStartedEventDetails: {
            input: JSON.stringify(event.input),
            inputDetails: { truncated: false },
            roleArn: this.options.roleArn,
          },
        });
        return;
      case "StateEntered":
        this.entries.set(event.state.name, { enteredTime: timestamp.toISOString(), retryCount: 0 });
        this.append(`${event.state.type}StateEntered` as HistoryEventType, timestamp, {
          stateEnteredEventDetails: {
            name: event.state.name,
            input: JSON.stringify(event.state.input),
            inputDetails: { truncated: false },
          },
        });
        return;
      case "StateExited":
        this.append(`${event.state.type}StateExited` as HistoryEventType, timestamp, {
          stateExitedEventDetails: {
            name: event.state.name,
            output: JSON.stringify(event.state.output ?? null),
            outputDetails: { truncated: false },
          },
        });
        return;
      case "StateRetried": {
        const entry = this.entries.get(event.state.name);
        if (entry) entry.retryCount += 1;
        return;
      }
      case "StateFailed":
        // A Lambda failure was already reported by the adapter; only a Task timeout (TimeoutSeconds) is new here.
        if (event.Error === "States.Timeout" && event.state.type === "Task")
          this.taskTimedOut(event, timestamp);
        return;
      case "MapIterationStarted":
      case "MapIterationSucceeded":
      case "MapIterationFailed": {
        const detailsKey = `${event.type[0]!.toLowerCase()}${event.type.slice(1)}EventDetails`;
        this.append(event.type, timestamp, {
          [detailsKey]: { name: event.parentState.name, index: event.index },
        });
        return;
      }
      case "ExecutionSucceeded":
        this.close("ExecutionSucceeded", timestamp, {
          executionSucceededEventDetails: {
            output: JSON.stringify(event.output),
            outputDetails: { truncated: false },
          },
        });
        return;
      case "ExecutionFailed":
        this.close("ExecutionFailed", timestamp, {
          executionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) },
        });
        return;
      case "ExecutionTimeout":
        this.close("ExecutionTimedOut", timestamp, {
          executionTimedOutEventDetails: { error: "States.Timeout" },
        });
        return;
      default:
        // StateCaught, ParallelBranch*: AWS shows these through the surrounding state events.
        return;
    }
  }

  /** Records an execution stopped by StopExecution (the library's own abort event carries no reason). */
  recordAborted(error: string | undefined, cause: string | undefined): void {
    this.close("ExecutionAborted", new Date(), {
      executionAbortedEventDetails: { ...(error ? { error } : {}), ...(cause ? { cause } : {}) },
    });
  }

  /** The `$$.State` values of a state the execution is in. */
  stateContext(stateName: string): StateContext {
    const entry = this.entries.get(stateName);
    return {
      name: stateName,
      enteredTime: entry?.enteredTime ?? new Date().toISOString(),
      retryCount: entry?.retryCount ?? 0,
    };
  }

  /**
   * Starts a Lambda Task attempt. Waits one macrotask first: aws-local-stepfunctions calls the handler in the
   * same tick it logs StateEntered/StateRetried, and its log is read asynchronously, so this lets the history
   * (and the retry count) catch up before the Task's own events are appended.
   */
  async beginAttempt(stateName: string): Promise<TaskAttempt> {
    await new Promise((resolve) => setImmediate(resolve));
    const id = this.nextAttemptId++;
    this.activeAttempts.set(id, stateName);
    const binding = this.options.lambdaTasks.get(stateName)!;
    return {
      state: this.stateContext(stateName),
      report: (event) => {
        if (!this.activeAttempts.has(id)) return; // the state timed out or the execution ended meanwhile
        if (event.kind === "succeeded" || event.kind === "failed") this.activeAttempts.delete(id);
        this.taskEvent(binding, event);
      },
    };
  }

  private taskEvent(binding: LambdaTaskBinding, event: TaskAttemptEvent): void {
    const [type, details] =
      binding.integration === "lambda-arn" ? lambdaFunctionEvent(binding, event) : lambdaInvokeEvent(event);
    this.append(type, new Date(), details);
  }

  private taskTimedOut(event: Extract<LibraryEvent, { type: "StateFailed" }>, timestamp: Date): void {
    for (const [id, stateName] of this.activeAttempts) {
      if (stateName === event.state.name) this.activeAttempts.delete(id);
    }
    const binding = this.options.lambdaTasks.get(event.state.name);
    const details = { error: "States.Timeout", cause: causeText(event.Cause) };
    if (binding?.integration === "lambda-arn") {
      this.append("LambdaFunctionTimedOut", timestamp, { lambdaFunctionTimedOutEventDetails: details });
    } else {
      this.append("TaskTimedOut", timestamp, {
        taskTimedOutEventDetails: { resourceType: "lambda", resource: "invoke", ...details },
      });
    }
  }

  private close(type: HistoryEventType, timestamp: Date, details: Partial<HistoryEvent>): void {
    if (this.closed) return;
    this.append(type, timestamp, details);
    this.closed = true;
    this.activeAttempts.clear();
  }

  private append(type: HistoryEventType, timestamp: Date, details: Partial<HistoryEvent>): void {
    if (this.closed) return;
    const id = this.events.length + 1;
    const event: HistoryEvent = {
      timestamp,
      type,
      id,
      ...(id > 1 ? { previousEventId: id - 1 } : { previousEventId: 0 }),
      ...details,
    };
    this.events.push(event);
    this.options.onEvent?.(event);
  }
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === "string" ? cause : JSON.stringify(cause);
}

type EventParts = [HistoryEventType, Partial<HistoryEvent>];

/** A direct-ARN Lambda Task's attempt, as AWS records it (LambdaFunction* events). */
function lambdaFunctionEvent(binding: LambdaTaskBinding, event: TaskAttemptEvent): EventParts {
  switch (event.kind) {
    case "scheduled":
      return [
        "LambdaFunctionScheduled",
        {
          lambdaFunctionScheduledEventDetails: {
            resource: binding.function.functionArn,
            input: JSON.stringify(event.input),
            inputDetails: { truncated: false },
          },
        },
      ];
    case "started":
      return ["LambdaFunctionStarted", {}];
    case "succeeded":
      return [
        "LambdaFunctionSucceeded",
        {
          lambdaFunctionSucceededEventDetails: {
            output: JSON.stringify(event.output ?? null),
            outputDetails: { truncated: false },
          },
        },
      ];
    case "failed":
      return [
        "LambdaFunctionFailed",
        { lambdaFunctionFailedEventDetails: { error: event.error, cause: event.cause } },
      ];
  }
}

/** A `lambda:invoke` Task's attempt, as AWS records it (Task* events). */
function lambdaInvokeEvent(event: TaskAttemptEvent): EventParts {
  const task = { resourceType: "lambda", resource: "invoke" };
  switch (event.kind) {
    case "scheduled":
      return [
        "TaskScheduled",
        {
          taskScheduledEventDetails: {
            ...task,
            region: LOCAL_REGION,
            parameters: JSON.stringify(event.input),
          },
        },
      ];
    case "started":
      return ["TaskStarted", { taskStartedEventDetails: task }];
    case "succeeded":
      return [
        "TaskSucceeded",
        {
          taskSucceededEventDetails: {
            ...task,
            output: JSON.stringify(event.output),
            outputDetails: { truncated: false },
          },
        },
      ];
    case "failed":
      return ["TaskFailed", { taskFailedEventDetails: { ...task, error: event.error, cause: event.cause } }];
  }
}
