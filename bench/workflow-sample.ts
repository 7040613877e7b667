// Everything one workflow run cost, counted from the wire (proxies, simulator) and from its execution history.
import type { BenchStack, FunctionProfile, WorkflowRun } from "./bench-stack.js";
import { type DynamoDbTraffic, dynamoDbTraffic } from "./dynamodb-traffic.js";
import { executionMetrics } from "./execution-metrics.js";

export interface InvocationSample extends FunctionProfile {
  readonly stateName: string;
  readonly durationMs: number;
}

export interface WorkflowSample {
  readonly status: string;
  /** Requests the portal simulator received, e.g. `POST /api/v1/apikeys → 201`. */
  readonly portalRequests: readonly string[];
  readonly portalCalls: number;
  readonly statesEntered: readonly string[];
  readonly stateTransitions: number;
  /** Lambda Tasks the state machine invoked (the webhook's own invocation is `webhookInvocations`). */
  readonly lambdaInvocations: readonly InvocationSample[];
  readonly failedInvocations: number;
  /** 1 when the run came in through the webhook (one HTTP API request, one Lambda invocation). */
  readonly webhookInvocations: number;
  readonly dynamoDb: DynamoDbTraffic;
  readonly secretsManagerCalls: number;
  /** KMS requests on the custody key (Encrypt where a key arrives, Decrypt where one is sent). */
  readonly kmsCalls: number;
  /** Step Functions API calls by operation (StartExecution is not billed; state transitions are). */
  readonly stepFunctionsApiCalls: Record<string, number>;
  readonly domainEvents: number;
  /**
   * Invocations of the outbox delivery function the run caused, counted by their PutEvents calls (each invocation
   * with an outbox record makes one), with each call's time: the bulk of that invocation's billed duration.
   */
  readonly outboxDeliveries: readonly number[];
  /** Bytes of log lines and EMF metrics the handlers wrote (CloudWatch Logs ingestion on AWS). */
  readonly logBytes: number;
  readonly largestPayloadBytes: number;
  readonly webhookMs: number;
  readonly totalMs: number;
}

/** Where every counter stood before a run. */
export interface TrafficMark {
  readonly dynamoDbSeq: number;
  readonly awsSeq: number;
  readonly portalCalls: number;
  readonly domainEvents: number;
  readonly logBytes: number;
}

export function markTraffic(bench: BenchStack, logBytes: number): TrafficMark {
  return {
    dynamoDbSeq: bench.dynamoDb.nextSeq(),
    awsSeq: bench.aws.nextSeq(),
    portalCalls: bench.simulator.calls().length,
    domainEvents: bench.domainEventsWritten(),
    logBytes,
  };
}

/** The run's sample: what happened between `mark` and now (run one workflow at a time for exact counts). */
export function sampleWorkflow(
  bench: BenchStack,
  run: WorkflowRun,
  stateMachineArn: string,
  mark: TrafficMark,
  logBytesNow: number,
  viaWebhook: boolean,
): WorkflowSample {
  const metrics = executionMetrics(run.events);
  const portalRequests = bench.simulator
    .calls()
    .slice(mark.portalCalls)
    .map((call) => `${call.method} ${call.path} → ${call.status ?? "no answer"}`);
  const awsOperations: Record<string, number> = {};
  let secretsManagerCalls = 0;
  let kmsCalls = 0;
  const outboxDeliveries: number[] = [];
  for (const request of bench.aws.since(mark.awsSeq)) {
    const target = request.target ?? "unknown";
    if (target.startsWith("secretsmanager.")) secretsManagerCalls += 1;
    else if (target.startsWith("TrentService.")) kmsCalls += 1;
    else if (target === "AWSEvents.PutEvents")
      outboxDeliveries.push((request.endedAt ?? request.startedAt) - request.startedAt);
    else if (target.startsWith("AWSStepFunctions.")) {
      const operation = target.slice("AWSStepFunctions.".length);
      awsOperations[operation] = (awsOperations[operation] ?? 0) + 1;
    }
  }
  return {
    status: run.status,
    portalRequests,
    portalCalls: portalRequests.length,
    statesEntered: metrics.statesEntered,
    stateTransitions: metrics.stateTransitions,
    lambdaInvocations: metrics.lambdaInvocations.map((invocation) => ({
      ...bench.functionForState(stateMachineArn, invocation.stateName),
      stateName: invocation.stateName,
      durationMs: invocation.durationMs,
    })),
    failedInvocations: metrics.failedInvocations,
    webhookInvocations: viaWebhook ? 1 : 0,
    dynamoDb: dynamoDbTraffic(bench.dynamoDb.since(mark.dynamoDbSeq)),
    secretsManagerCalls,
    kmsCalls,
    stepFunctionsApiCalls: awsOperations,
    domainEvents: bench.domainEventsWritten() - mark.domainEvents,
    outboxDeliveries,
    logBytes: logBytesNow - mark.logBytes,
    largestPayloadBytes: metrics.largestPayloadBytes,
    webhookMs: run.webhookMs,
    totalMs: run.totalMs,
  };
}
