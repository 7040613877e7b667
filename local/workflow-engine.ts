// Runs the synthesized state machines locally on aws-local-stepfunctions, with the Step Functions API shape
// (Standard semantics: named, deduplicated executions with a full history).
//
// Limits (beyond what the extractor refuses outright):
// - Handlers share this process: a timed-out or stopped invocation keeps running in the background (its result
//   is dropped), and process.env is one for all functions.
// - `$$.State.EnteredTime/RetryCount` are tracked per state name, so concurrent Map iterations of one Task share them.
// - History has no MapStateStarted/ParallelState* events; payload size limits (256 KiB) are not enforced.
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type {
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  ExecutionStatus,
  GetExecutionHistoryOutput,
  HistoryEvent,
  ListExecutionsOutput,
  StateMachineListItem,
} from "@aws-sdk/client-sfn";
import type { StateMachine } from "aws-local-stepfunctions";
import { PROJECT_ROOT } from "../lib/handler-function.js";
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidToken,
  StateMachineDoesNotExist,
} from "./aws-service-errors.js";
import type { SynthesizedStack } from "./cloudformation-template.js";
import { executionArn as buildExecutionArn } from "./fake-aws.js";
import { applyProcessEnvironment, mergeFunctionEnvironments } from "./function-environment.js";
import { handlerNotFound, type LambdaHandler } from "./lambda-adapter.js";
import {
  type ExtractedApp,
  type ExtractedFunction,
  extractStateMachines,
} from "./state-machine-extractor.js";
import {
  createRunner,
  type ExecutionRecord,
  type ExecutionReference,
  type JsonValue,
  type LoadedStateMachine,
  runExecution,
} from "./workflow-execution.js";

export interface LocalWorkflowEngineOptions {
  /** The synthesized stacks (see synthesizeTemplates). */
  readonly templates: readonly SynthesizedStack[];
  /** Physical names by logical id (e.g. the DynamoDB Local table names), for `Ref` in definitions and env vars. */
  readonly resourceNames?: Readonly<Record<string, string>>;
  /**
   * Loads a handler module given its entry (relative to the project root).
   * @default dynamic `import()` of `<projectRoot>/<entry>` (works under vitest and tsx, which load .ts)
   */
  readonly loadHandlerModule?: (entry: string) => Promise<Record<string, unknown>>;
  /** @default the repository root */
  readonly projectRoot?: string;
  /**
   * Retry pause overrides in ms, by state name (a number or one per retrier), or one number for every state.
   * Tests shorten backoff with this; `npm start` keeps the real waits. @default none
   */
  readonly retryIntervalOverrides?: number | Readonly<Record<string, number | readonly number[]>>;
  /** Wait state duration overrides in ms, by state name or one number for all. @default none */
  readonly waitTimeOverrides?: number | Readonly<Record<string, number>>;
  /**
   * Variables for process.env on top of the functions' resolved Environment (these win; `undefined` removes one).
   * Functions share the process, so two functions disagreeing on a variable not given here is an error.
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Called with every history event as it is appended (e.g. tests scanning for leaked secrets). */
  readonly onEvent?: (event: HistoryEvent, execution: ExecutionReference) => void;
}

export interface StateMachineSummary extends StateMachineListItem {
  readonly name: string;
  readonly stateMachineArn: string;
  readonly logicalId: string;
  readonly stackName: string;
  /** `TimeoutSeconds` of the definition, if any. */
  readonly timeoutSeconds?: number;
}

export interface StartExecutionRequest {
  readonly stateMachineArn: string;
  /** @default a random UUID */
  readonly name?: string;
  /** JSON text, as in the API. @default "{}" */
  readonly input?: string;
}

export interface ListExecutionsRequest {
  readonly stateMachineArn: string;
  readonly statusFilter?: ExecutionStatus;
  readonly maxResults?: number;
  readonly nextToken?: string;
}

export interface GetExecutionHistoryOptions {
  readonly reverseOrder?: boolean;
  readonly maxResults?: number;
  readonly nextToken?: string;
}

/** Step Functions' limit for a name; the engine also keeps to the characters every AWS API accepts. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;
const MAX_INPUT_BYTES = 256 * 1024;

export class LocalWorkflowEngine {
  readonly app: ExtractedApp;
  private readonly machines = new Map<string, LoadedStateMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly handlers = new Map<string, Promise<LambdaHandler>>();
  /** Handler invocations still running, including those of stopped executions (they run on, as on Lambda). */
  private readonly invocations = new Set<Promise<unknown>>();
  private readonly restoreEnvironment: () => void;
  private readonly loadHandlerModule: (entry: string) => Promise<Record<string, unknown>>;

  /**
   * Extracts and validates every state machine (throws on anything the engine cannot run faithfully), checks
   * the functions' environments agree, and sets process.env. Handler modules load lazily, on first invocation.
   */
  constructor(private readonly options: LocalWorkflowEngineOptions) {
    this.app = extractStateMachines(options.templates, { resourceNames: options.resourceNames });
    const creationDate = new Date();
    for (const extracted of this.app.stateMachines) {
      let runner: StateMachine;
      try {
        runner = createRunner(extracted);
      } catch (error) {
        throw new Error(
          `State machine ${extracted.logicalId} (${extracted.name}): ${(error as Error).message}`,
        );
      }
      this.machines.set(extracted.stateMachineArn, { extracted, runner, creationDate });
    }
    const overrides = options.environment ?? {};
    const variables = mergeFunctionEnvironments(this.app.functions.values(), overrides);
    if (!process.env.AWS_REGION && !("AWS_REGION" in overrides)) variables.AWS_REGION = "us-east-1";
    const removed = Object.entries(overrides).flatMap(([name, value]) => (value === undefined ? [name] : []));
    this.restoreEnvironment = applyProcessEnvironment(variables, removed);
    const root = options.projectRoot ?? PROJECT_ROOT;
    this.loadHandlerModule =
      options.loadHandlerModule ??
      ((entry) => import(pathToFileURL(path.resolve(root, entry)).href) as Promise<Record<string, unknown>>);
  }

  /** Every state machine: name, ARN, logical id. */
  stateMachines(): StateMachineSummary[] {
    return [...this.machines.values()].map(({ extracted, creationDate }) => ({
      name: extracted.name,
      stateMachineArn: extracted.stateMachineArn,
      type: "STANDARD",
      creationDate,
      logicalId: extracted.logicalId,
      stackName: extracted.stackName,
      ...(extracted.timeoutSeconds === undefined ? {} : { timeoutSeconds: extracted.timeoutSeconds }),
    }));
  }

  /** The ARN of the state machine with this name, logical id or ARN. */
  stateMachineArn(nameOrLogicalId: string): string {
    for (const { extracted } of this.machines.values()) {
      if ([extracted.name, extracted.logicalId, extracted.stateMachineArn].includes(nameOrLogicalId))
        return extracted.stateMachineArn;
    }
    throw new StateMachineDoesNotExist(`State Machine Does Not Exist: '${nameOrLogicalId}'`);
  }

  describeStateMachine(stateMachineArn: string): DescribeStateMachineOutput {
    const { extracted, creationDate } = this.machine(stateMachineArn);
    return {
      stateMachineArn: extracted.stateMachineArn,
      name: extracted.name,
      status: "ACTIVE",
      definition: JSON.stringify(extracted.definition),
      roleArn: extracted.roleArn,
      type: "STANDARD",
      creationDate,
    };
  }

  /**
   * Starts an execution (Standard semantics): a name already used on this state machine returns the running
   * execution when the input is the same, and fails with ExecutionAlreadyExists when the input differs or that
   * execution has ended.
   */
  async startExecution(request: StartExecutionRequest): Promise<{ executionArn: string; startDate: Date }> {
    const machine = this.machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name))
      throw new InvalidName(`Invalid Name: '${name}' (1-80 characters of A-Z, a-z, 0-9, - and _)`);
    const input = request.input ?? "{}";
    const parsedInput = parseExecutionInput(input);
    const arn = buildExecutionArn(machine.extracted.name, name);
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === "RUNNING" && existing.input === input)
        return { executionArn: arn, startDate: existing.startDate };
      throw new ExecutionAlreadyExists(`Execution Already Exists: '${arn}'`);
    }
    const record = this.run(machine, arn, name, input, parsedInput);
    this.executions.set(arn, record);
    return { executionArn: arn, startDate: record.startDate };
  }

  describeExecution(executionArn: string): DescribeExecutionOutput {
    const record = this.execution(executionArn);
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      ...(record.stopDate ? { stopDate: record.stopDate } : {}),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output === undefined ? {} : { output: record.output, outputDetails: { included: true } }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
      redriveCount: 0,
    };
  }

  /** Executions of a state machine, newest first. */
  listExecutions(request: ListExecutionsRequest): ListExecutionsOutput {
    const machine = this.machine(request.stateMachineArn);
    const matching = [...this.executions.values()]
      .filter((record) => record.machine === machine)
      .filter((record) => !request.statusFilter || record.status === request.statusFilter)
      .reverse();
    const { page, nextToken } = paginate(matching, request.maxResults, request.nextToken);
    const executions: ExecutionListItem[] = page.map((record) => ({
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      ...(record.stopDate ? { stopDate: record.stopDate } : {}),
    }));
    return { executions, ...(nextToken ? { nextToken } : {}) };
  }

  /** The execution's events so far, oldest first unless `reverseOrder`. */
  getExecutionHistory(
    executionArn: string,
    options: GetExecutionHistoryOptions = {},
  ): GetExecutionHistoryOutput {
    const events = [...this.execution(executionArn).history.events];
    if (options.reverseOrder) events.reverse();
    const { page, nextToken } = paginate(events, options.maxResults, options.nextToken);
    return { events: page, ...(nextToken ? { nextToken } : {}) };
  }

  /** Resolves once the execution has ended, with its final description. */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    await this.execution(executionArn).done;
    return this.describeExecution(executionArn);
  }

  /** Resolves once no handler invocation is running, those a stopped or timed-out execution left behind included. */
  async invocationsSettled(): Promise<void> {
    while (this.invocations.size > 0) await Promise.allSettled([...this.invocations]);
  }

  /** Stops a running execution (ABORTED). The handler running at the time cannot be interrupted in-process. */
  async stopExecution(executionArn: string, reason: { error?: string; cause?: string } = {}): Promise<Date> {
    const record = this.execution(executionArn);
    if (record.status === "RUNNING") {
      record.history.recordAborted(reason.error, reason.cause);
      record.error = reason.error;
      record.cause = reason.cause;
      record.abort();
      await record.done;
    }
    return record.stopDate ?? new Date();
  }

  /** Stops every running execution and restores process.env. */
  async close(): Promise<void> {
    const running = [...this.executions.values()].filter((record) => record.status === "RUNNING");
    await Promise.all(
      running.map((record) => this.stopExecution(record.executionArn, { cause: "engine closed" })),
    );
    this.restoreEnvironment();
  }

  private run(
    machine: LoadedStateMachine,
    executionArn: string,
    name: string,
    input: string,
    parsedInput: JsonValue,
  ): ExecutionRecord {
    const reference = { executionArn, stateMachineArn: machine.extracted.stateMachineArn, name };
    return runExecution(machine, reference, input, parsedInput, {
      loadHandler: (fn) => this.loadHandler(fn),
      onInvocation: (running) => {
        this.invocations.add(running);
        running.then(
          () => this.invocations.delete(running),
          () => this.invocations.delete(running),
        );
      },
      onEvent: (event, execution) => this.emit(event, execution),
      retryIntervalOverrides: this.options.retryIntervalOverrides,
      waitTimeOverrides: this.options.waitTimeOverrides,
    });
  }

  private loadHandler(fn: ExtractedFunction): Promise<LambdaHandler> {
    const key = `${fn.entry}#${fn.handlerExport}`;
    let handler = this.handlers.get(key);
    if (!handler) {
      handler = this.loadHandlerModule(fn.entry).then((module) => {
        const exported = module[fn.handlerExport];
        if (typeof exported !== "function") throw handlerNotFound(fn);
        return exported as LambdaHandler;
      });
      // A failed load is retried on the next invocation, as a fresh Lambda sandbox would.
      handler.catch(() => this.handlers.delete(key));
      this.handlers.set(key, handler);
    }
    return handler;
  }

  private emit(event: HistoryEvent, execution: ExecutionReference): void {
    if (!this.options.onEvent) return;
    try {
      this.options.onEvent(event, execution);
    } catch (error) {
      process.emitWarning(`onEvent threw for ${execution.executionArn}: ${(error as Error).message}`);
    }
  }

  private machine(stateMachineArn: string): LoadedStateMachine {
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) throw new InvalidArn(`Invalid Arn: '${stateMachineArn}'`);
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new StateMachineDoesNotExist(`State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  private execution(executionArn: string): ExecutionRecord {
    if (!EXECUTION_ARN.test(executionArn)) throw new InvalidArn(`Invalid Arn: '${executionArn}'`);
    const record = this.executions.get(executionArn);
    if (!record) throw new ExecutionDoesNotExist(`Execution Does Not Exist: '${executionArn}'`);
    return record;
  }
}

function parseExecutionInput(input: string): JsonValue {
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES)
    throw new InvalidExecutionInput(
      `Invalid State Machine Execution Input: larger than ${MAX_INPUT_BYTES} bytes`,
    );
  try {
    return JSON.parse(input) as JsonValue;
  } catch (error) {
    throw new InvalidExecutionInput(`Invalid State Machine Execution Input: '${(error as Error).message}'`);
  }
}

function paginate<T>(
  items: readonly T[],
  maxResults = 100,
  nextToken?: string,
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken) {
    start = Number(Buffer.from(nextToken, "base64url").toString());
    if (!Number.isInteger(start) || start < 0) throw new InvalidToken(`Invalid Token: '${nextToken}'`);
  }
  const size = maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  const page = items.slice(start, start + size);
  const next =
    start + size < items.length ? Buffer.from(String(start + size)).toString("base64url") : undefined;
  return { page, ...(next ? { nextToken: next } : {}) };
}
