// EventBridge's "Step Functions Execution Status Change" events for the local engine: when an execution ends, the
// event AWS would put on the default bus is matched against the template's `AWS::Events::Rule`s with source
// `aws.states`, and each matching rule's Lambda targets run, as EventBridge would invoke them (asynchronously,
// after the execution has ended). Functions are found as the engine finds them (their entry metadata).
//
// Limits: patterns may only list values (no prefix/anything-but/numeric matchers); targets must be functions
// of the app, with no Input, InputPath or InputTransformer; a failed invocation is reported, not retried.
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import type { DescribeExecutionOutput, HistoryEvent } from "@aws-sdk/client-sfn";
import {
  EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
  EXECUTION_STATUS_CHANGE_SOURCE,
} from "../functions/claim-release/claim-release.js";
import { PROJECT_ROOT } from "../lib/handler-function.js";
import { runAsFunction } from "./authorization/caller-identity.js";
import type { SynthesizedStack } from "./cloudformation-template.js";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "./fake-aws.js";
import { type LambdaHandler, lambdaContext } from "./lambda-adapter.js";
import type { ExtractedFunction } from "./state-machine-extractor.js";
import { TemplateResolver } from "./template-resolver.js";
import type { ExecutionReference } from "./workflow-execution.js";

/** A rule's event pattern: every leaf is the list of values a field may have. */
export type EventPattern = { readonly [field: string]: readonly unknown[] | EventPattern };

/** One `AWS::Events::Rule` on the default bus that matches Step Functions events, with its function targets. */
export interface ExecutionStatusRule {
  readonly logicalId: string;
  readonly stackName: string;
  readonly pattern: EventPattern;
  readonly targets: readonly ExtractedFunction[];
}

/** The event, as EventBridge delivers it to a target. */
export interface ExecutionStatusChangeEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": typeof EXECUTION_STATUS_CHANGE_DETAIL_TYPE;
  readonly source: typeof EXECUTION_STATUS_CHANGE_SOURCE;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly name: string;
    readonly status: string;
    readonly startDate: number | null;
    readonly stopDate: number | null;
    readonly input: string | null;
    readonly inputDetails: { readonly included: boolean };
    readonly output: string | null;
    readonly outputDetails: { readonly included: boolean } | null;
    readonly error: string | null;
    readonly cause: string | null;
  };
}

/** What one delivery to one target did. */
export interface ExecutionStatusDelivery {
  readonly rule: string;
  readonly function: string;
  readonly executionName: string;
  readonly status: string;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  /** Invocations it took (1 + retries). */
  readonly attempts: number;
}

/** A rule the local stack cannot deliver faithfully. */
export class UnsupportedEventRule extends Error {
  override readonly name = "UnsupportedEventRule";
}

const TERMINAL_EVENT_TYPES = new Set([
  "ExecutionSucceeded",
  "ExecutionFailed",
  "ExecutionTimedOut",
  "ExecutionAborted",
]);

/** The rules of `stacks` whose pattern names source `aws.states`, each target bound to its function. */
export function executionStatusRules(
  stacks: readonly SynthesizedStack[],
  functions: ReadonlyMap<string, ExtractedFunction>,
  resourceNames: Readonly<Record<string, string>> = {},
): ExecutionStatusRule[] {
  const byArn = new Map([...functions.values()].map((fn) => [fn.functionArn, fn]));
  const rules: ExecutionStatusRule[] = [];
  for (const stack of stacks) {
    const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName, resourceNames });
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type !== "AWS::Events::Rule") continue;
      const properties = resource.Properties ?? {};
      if (properties.EventPattern === undefined || properties.State === "DISABLED") continue;
      // Service events go to the default bus only.
      if (properties.EventBusName !== undefined && properties.EventBusName !== "default") continue;
      const where = `Rule ${logicalId}`;
      const pattern = resolver.resolve(properties.EventPattern, `${where}.EventPattern`) as EventPattern;
      const sources = pattern.source;
      if (!Array.isArray(sources) || !sources.includes(EXECUTION_STATUS_CHANGE_SOURCE)) continue;
      checkPattern(pattern, where);
      const targets = ((properties.Targets as Record<string, unknown>[] | undefined) ?? []).map(
        (target, i) => {
          const at = `${where}.Targets[${i}]`;
          for (const field of ["Input", "InputPath", "InputTransformer"]) {
            if (target[field] !== undefined)
              throw new UnsupportedEventRule(`${at}: ${field} is not supported locally`);
          }
          const arn = resolver.resolveString(target.Arn, `${at}.Arn`);
          const fn = byArn.get(arn);
          if (!fn) throw new UnsupportedEventRule(`${at}: ${arn} is not a function of the app`);
          return fn;
        },
      );
      rules.push({ logicalId, stackName: stack.stackName, pattern, targets });
    }
  }
  return rules;
}

function checkPattern(pattern: EventPattern, where: string): void {
  for (const [field, value] of Object.entries(pattern)) {
    if (Array.isArray(value)) {
      if (value.some((item) => item !== null && typeof item === "object"))
        throw new UnsupportedEventRule(
          `${where}: field "${field}" uses a content filter; only lists of values are supported locally`,
        );
    } else if (value !== null && typeof value === "object") {
      checkPattern(value as EventPattern, `${where}.${field}`);
    } else {
      throw new UnsupportedEventRule(`${where}: field "${field}" must be a list or an object`);
    }
  }
}

/**
 * EventBridge matching for patterns of value lists: every field of the pattern must be present in the event
 * with one of the listed values (for an array in the event, one of its elements).
 */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (event === null || typeof event !== "object") return false;
  const fields = event as Record<string, unknown>;
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = fields[field];
    if (!Array.isArray(expected)) return matchesEventPattern(expected as EventPattern, actual);
    const values = Array.isArray(actual) ? actual : [actual];
    return values.some((value) => value !== undefined && expected.includes(value));
  });
}

/** The status change event for an execution as DescribeExecution describes it. */
export function executionStatusChangeEvent(
  execution: DescribeExecutionOutput,
  status: string,
  time: Date = new Date(),
): ExecutionStatusChangeEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
    source: EXECUTION_STATUS_CHANGE_SOURCE,
    account: LOCAL_ACCOUNT_ID,
    time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: LOCAL_REGION,
    resources: [execution.executionArn!],
    detail: {
      executionArn: execution.executionArn!,
      stateMachineArn: execution.stateMachineArn!,
      name: execution.name!,
      status,
      startDate: execution.startDate?.getTime() ?? null,
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input ?? null,
      inputDetails: { included: execution.input !== undefined },
      output: execution.output ?? null,
      outputDetails: execution.output === undefined ? null : { included: true },
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

export interface ExecutionStatusEventsOptions {
  readonly templates: readonly SynthesizedStack[];
  /** The engine's functions (`engine.app.functions`). */
  readonly functions: ReadonlyMap<string, ExtractedFunction>;
  readonly resourceNames?: Readonly<Record<string, string>>;
  /** The ended execution's description (`engine.waitForExecution`): resolves once its status is final. */
  readonly describeEnded: (executionArn: string) => Promise<DescribeExecutionOutput>;
  /** @default dynamic `import()` of `<projectRoot>/<entry>` */
  readonly loadHandlerModule?: (entry: string) => Promise<Record<string, unknown>>;
  /** Called after each delivery (a failed one carries `error`, after its last attempt). */
  readonly onDelivery?: (delivery: ExecutionStatusDelivery) => void;
  /**
   * Waits before each retry of an invocation that threw, as Lambda retries an asynchronous invocation.
   * @default [60_000, 120_000] (Lambda's two retries, about one and two minutes apart)
   */
  readonly retryDelaysMs?: readonly number[];
}

/** Lambda's asynchronous invocation: two retries, about a minute and two minutes after the failure. */
export const LAMBDA_ASYNC_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

/** Delivers the status change of every ended execution to the matching rules' functions. */
export class ExecutionStatusEvents {
  readonly rules: readonly ExecutionStatusRule[];
  private readonly pending = new Set<Promise<void>>();
  private readonly seen = new Set<string>();
  private closed = false;
  /** Cut short the retry waits under way when the stack closes. */
  private readonly closing = new AbortController();
  private readonly loadHandlerModule: (entry: string) => Promise<Record<string, unknown>>;

  constructor(private readonly options: ExecutionStatusEventsOptions) {
    this.rules = executionStatusRules(options.templates, options.functions, options.resourceNames);
    this.loadHandlerModule =
      options.loadHandlerModule ??
      ((entry) =>
        import(pathToFileURL(path.resolve(PROJECT_ROOT, entry)).href) as Promise<Record<string, unknown>>);
  }

  /** For the engine's `onEvent`: schedules the delivery when `event` ends the execution. */
  readonly onHistoryEvent = (event: HistoryEvent, execution: ExecutionReference): void => {
    if (this.closed || !event.type || !TERMINAL_EVENT_TYPES.has(event.type) || this.rules.length === 0)
      return;
    if (this.seen.has(execution.executionArn)) return;
    this.seen.add(execution.executionArn);
    const delivery = this.deliver(execution.executionArn)
      .catch((error: Error) =>
        process.emitWarning(`status change of ${execution.executionArn} not delivered: ${error.message}`),
      )
      .finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  };

  /** Resolves once every delivery scheduled so far (and any they led to) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Delivers nothing more (executions a shutdown stops are not released) and awaits the deliveries under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.idle();
  }

  private async deliver(executionArn: string): Promise<void> {
    const execution = await this.options.describeEnded(executionArn);
    const event = executionStatusChangeEvent(execution, execution.status ?? "UNKNOWN", execution.stopDate);
    for (const rule of this.rules) {
      if (!matchesEventPattern(rule.pattern, event)) continue;
      for (const fn of rule.targets) {
        const base = {
          rule: rule.logicalId,
          function: fn.logicalId,
          executionName: event.detail.name,
          status: event.detail.status,
        };
        this.options.onDelivery?.({ ...base, ...(await this.invokeWithRetries(fn, event)) });
      }
    }
  }

  /** Invokes, and again after each retry delay while it throws; stops retrying when the stack closes. */
  private async invokeWithRetries(
    fn: ExtractedFunction,
    event: ExecutionStatusChangeEvent,
  ): Promise<Pick<ExecutionStatusDelivery, "result" | "error" | "attempts">> {
    const delays = this.options.retryDelaysMs ?? LAMBDA_ASYNC_RETRY_DELAYS_MS;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return { result: await this.invoke(fn, event), attempts: attempt };
      } catch (error) {
        const { name, message } = error as Error;
        const delay = delays[attempt - 1];
        if (delay === undefined || this.closed) return { error: { name, message }, attempts: attempt };
        try {
          await sleep(delay, undefined, { signal: this.closing.signal });
        } catch {
          // Closing: the retry is dropped, as a stopped stack delivers nothing more.
          return { error: { name, message }, attempts: attempt };
        }
      }
    }
  }

  private async invoke(fn: ExtractedFunction, event: ExecutionStatusChangeEvent): Promise<unknown> {
    const module = await this.loadHandlerModule(fn.entry);
    const handler = module[fn.handlerExport];
    if (typeof handler !== "function")
      throw new Error(`${fn.entry}.${fn.handlerExport} is undefined or not exported`);
    const requestId = randomUUID();
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    return runAsFunction(fn.logicalId, () =>
      (handler as LambdaHandler)(structuredClone(event), lambdaContext(fn, requestId, deadline)),
    );
  }
}
