// Runs a handler module as a Step Functions Lambda Task would: the `lambda:invoke` envelope, a Lambda context,
// the function's timeout, and errors shaped as the Lambda runtime reports them (so Retry/Catch match by name and
// `$.Cause` holds `{"errorType","errorMessage","trace"}`).
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { runAsFunction } from "./authorization/caller-identity.js";
import { fillStateContext, type StateContext } from "./context-object.js";
import type { ExtractedFunction, LambdaTaskBinding } from "./state-machine-extractor.js";

export type LambdaHandler = (event: unknown, context: Context) => unknown;

/** What the Lambda runtime returns for a failed invocation; Step Functions puts it, as JSON, in `Cause`. */
export interface LambdaErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

/**
 * A failed invocation as aws-local-stepfunctions sees it: it matches Retry/Catch on `name` and copies `message`
 * into `Cause`, so `name` is the Lambda errorType and `message` the runtime's JSON error payload.
 */
export class LambdaInvocationFailure extends Error {
  constructor(readonly payload: LambdaErrorPayload) {
    super(JSON.stringify(payload));
    this.name = payload.errorType;
  }
}

/** The Node.js Lambda runtime's error payload for a thrown value. */
export function lambdaErrorPayload(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? `${error.name}: ${error.message}`).split("\n"),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** Lambda's own report when an invocation runs past the function's timeout. */
export function functionTimeoutPayload(requestId: string, timeoutSeconds: number): LambdaErrorPayload {
  return {
    errorType: "Sandbox.Timedout",
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
  };
}

/** One attempt of a Lambda Task, reported so the engine can write the execution history. */
export type TaskAttemptEvent =
  | { readonly kind: "scheduled"; readonly input: unknown }
  | { readonly kind: "started" }
  | { readonly kind: "succeeded"; readonly output: unknown }
  | { readonly kind: "failed"; readonly error: string; readonly cause: string };

/** One attempt as the engine tracks it: the `$$.State` values, and where to report the attempt's steps. */
export interface TaskAttempt {
  readonly state: StateContext;
  readonly report: (event: TaskAttemptEvent) => void;
}

export interface LambdaTaskHandlerOptions {
  readonly binding: LambdaTaskBinding;
  /** Loads (once) the function's handler; a rejection is reported as a Runtime.ImportModuleError. */
  readonly loadHandler: (fn: ExtractedFunction) => Promise<LambdaHandler>;
  /** Starts an attempt once the engine has recorded the state's entry (or retry). */
  readonly beginAttempt: (stateName: string) => Promise<TaskAttempt>;
  /** Aborted when the execution ends (timeout, stop): a still-running invocation is abandoned and its timer freed. */
  readonly executionEnded?: AbortSignal;
  /** Told of every invocation's run, which outlives a stopped execution (as on Lambda): the engine's quiet waits on it. */
  readonly onInvocation?: (running: Promise<unknown>) => void;
}

/** A `taskResourceLocalHandlers` function for one Lambda Task of one execution. */
export function createLambdaTaskHandler(
  options: LambdaTaskHandlerOptions,
): (input: unknown) => Promise<unknown> {
  const { binding } = options;
  const fn = binding.function;
  return async (input) => {
    const { state, report } = await options.beginAttempt(binding.stateName);
    const parameters = fillStateContext(jsonCopy(input), state);
    report({ kind: "scheduled", input: parameters });
    const event =
      binding.integration === "lambda:invoke"
        ? ((parameters as { Payload?: unknown }).Payload ?? {})
        : parameters;
    const requestId = randomUUID();
    report({ kind: "started" });
    let result: unknown;
    try {
      result = jsonCopy(
        await invokeWithTimeout(
          options.loadHandler,
          fn,
          event,
          requestId,
          options.executionEnded,
          options.onInvocation,
        ),
      );
    } catch (error) {
      const payload = error instanceof LambdaInvocationFailure ? error.payload : lambdaErrorPayload(error);
      const failure = error instanceof LambdaInvocationFailure ? error : new LambdaInvocationFailure(payload);
      report({ kind: "failed", error: failure.name, cause: failure.message });
      throw failure;
    }
    const output =
      binding.integration === "lambda:invoke" ? invokeEnvelope(result ?? null, requestId) : result;
    report({ kind: "succeeded", output });
    return output ?? null;
  };
}

async function invokeWithTimeout(
  loadHandler: (fn: ExtractedFunction) => Promise<LambdaHandler>,
  fn: ExtractedFunction,
  event: unknown,
  requestId: string,
  executionEnded: AbortSignal | undefined,
  onInvocation?: (running: Promise<unknown>) => void,
): Promise<unknown> {
  const timeoutMs = fn.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  let reject: (error: Error) => void = () => {};
  const timedOut = new Promise<never>((_, rejectTimedOut) => {
    reject = rejectTimedOut;
  });
  const timer = setTimeout(
    () => reject(new LambdaInvocationFailure(functionTimeoutPayload(requestId, fn.timeoutSeconds))),
    timeoutMs,
  );
  const abandon = () => reject(new Error(`execution ended while ${fn.logicalId} was running`));
  executionEnded?.addEventListener("abort", abandon, { once: true });
  const run = (async () => {
    let handler: LambdaHandler;
    try {
      handler = await loadHandler(fn);
    } catch (error) {
      throw initError(error, fn);
    }
    // Its AWS calls are authorized as its role (local/authorization/caller-identity.ts).
    return runAsFunction(fn.logicalId, () => handler(event, lambdaContext(fn, requestId, deadline)));
  })();
  // The handler cannot be cancelled in-process; after a timeout its late outcome is dropped, as Lambda would.
  run.catch(() => {});
  onInvocation?.(run);
  try {
    return await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
    executionEnded?.removeEventListener("abort", abandon);
  }
}

function initError(error: unknown, fn: ExtractedFunction): LambdaInvocationFailure {
  if (error instanceof LambdaInvocationFailure) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new LambdaInvocationFailure({
    errorType: "Runtime.ImportModuleError",
    errorMessage: `${message} (loading ${fn.entry} for ${fn.logicalId})`,
    trace: error instanceof Error ? (error.stack ?? "").split("\n") : [],
  });
}

/** The error Lambda reports when the module loads but does not export the configured handler. */
export function handlerNotFound(fn: ExtractedFunction): LambdaInvocationFailure {
  return new LambdaInvocationFailure({
    errorType: "Runtime.HandlerNotFound",
    errorMessage: `${fn.entry}.${fn.handlerExport} is undefined or not exported`,
    trace: [],
  });
}

/** The Lambda context an invocation of `fn` gets (the time left counts down to `deadline`). */
export function lambdaContext(fn: ExtractedFunction, requestId: string, deadline: number): Context {
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported: return a value or throw from an async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: fn.functionArn,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}

/** The `lambda:invoke` integration's result: the function's response wrapped with the Invoke API metadata. */
function invokeEnvelope(payload: unknown, requestId: string): Record<string, unknown> {
  const headers = {
    "Content-Type": "application/json",
    "X-Amz-Executed-Version": "$LATEST",
    "x-amzn-RequestId": requestId,
  };
  return {
    ExecutedVersion: "$LATEST",
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      HttpHeaders: headers,
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

/** Events and results cross a JSON boundary in Lambda: Dates become strings, undefined fields vanish. */
function jsonCopy(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch (error) {
    throw new LambdaInvocationFailure({
      errorType: "Runtime.MarshalError",
      errorMessage: `Unable to marshal response: ${(error as Error).message}`,
      trace: [],
    });
  }
}
