// Dollars per 1,000 workflow runs from the counted requests, at the published prices (free tiers ignored).
import type { PriceSheet } from "./aws-prices.js";
import type { WorkflowCounts } from "./happy-path.js";

export interface CostLine {
  readonly service: string;
  /** The quantity per run that the price applies to, e.g. "13 transitions". */
  readonly perRun: string;
  readonly usdPer1000: number;
}

export interface CostBreakdown {
  readonly lines: readonly CostLine[];
  readonly totalUsdPer1000: number;
  /** The formula, with the numbers put in. */
  readonly formula: string;
}

export interface CostInputs {
  readonly counts: WorkflowCounts;
  readonly prices: PriceSheet;
  /** The webhook function's memory and architecture, and its billed duration per request (ms). */
  readonly webhook?: {
    readonly memoryMb: number;
    readonly architecture: "arm64" | "x86_64";
    readonly ms: number;
  };
}

export const COST_FORMULA =
  "cost per 1,000 = 1000 × ( T·p_sfn + Σ_tasks n·(p_req + ⌈d_ms⌉/1000 · M_MB/1024 · p_GBs(arch)) " +
  "+ W·(p_api + p_req + ⌈d_webhook⌉/1000 · M/1024 · p_GBs) + D·(p_req + ⌈d_delivery⌉/1000 · M/1024 · p_GBs) + RRU·p_rru + WRU·p_wru + S·p_sm + K·p_kms + E·p_eb + L_bytes/2^30·p_logs )";

/** Lambda bills each invocation's duration rounded up to the millisecond. */
function gbSeconds(ms: number, memoryMb: number): number {
  return (Math.ceil(ms) / 1000) * (memoryMb / 1024);
}

export function costPer1000(inputs: CostInputs): CostBreakdown {
  const { counts, prices } = inputs;
  const lines: CostLine[] = [];
  const add = (service: string, perRun: string, perRunUsd: number) =>
    lines.push({ service, perRun, usdPer1000: perRunUsd * 1000 });

  add(
    "Step Functions (Standard)",
    `${counts.stateTransitions} state transitions`,
    counts.stateTransitions * prices.stepFunctionsPerStateTransition,
  );
  let taskRequests = 0;
  let taskGbSeconds = 0;
  let taskUsd = 0;
  for (const task of counts.invocations) {
    const gbs = task.perRun * gbSeconds(task.medianDurationMs, task.memoryMb);
    taskRequests += task.perRun;
    taskGbSeconds += gbs;
    taskUsd += task.perRun * prices.lambdaPerRequest + gbs * prices.lambdaPerGbSecond[task.architecture];
  }
  add("Lambda (workflow tasks)", `${taskRequests} invocations, ${taskGbSeconds.toFixed(4)} GB-s`, taskUsd);
  // The table stream's outbox items invoke the delivery function (docs/architecture.md §2): one invocation per
  // run at this rate (Lambda batches records only when they arrive together), billed like any other.
  const delivery = counts.outboxDelivery;
  if (delivery.invocations > 0) {
    const gbs = delivery.invocations * gbSeconds(delivery.medianDurationMs, delivery.memoryMb);
    add(
      "Lambda (outbox delivery)",
      `${delivery.invocations} invocation, ${Math.ceil(delivery.medianDurationMs)} ms, ${gbs.toFixed(4)} GB-s`,
      delivery.invocations * prices.lambdaPerRequest + gbs * prices.lambdaPerGbSecond[delivery.architecture],
    );
  }
  if (counts.webhookInvocations > 0 && inputs.webhook) {
    const { memoryMb, architecture, ms } = inputs.webhook;
    const gbs = counts.webhookInvocations * gbSeconds(ms, memoryMb);
    add(
      "Lambda (webhook)",
      `${counts.webhookInvocations} invocation, ≤${Math.ceil(ms)} ms, ${gbs.toFixed(4)} GB-s`,
      counts.webhookInvocations * prices.lambdaPerRequest + gbs * prices.lambdaPerGbSecond[architecture],
    );
    add(
      "API Gateway (HTTP API)",
      `${counts.webhookInvocations} request`,
      counts.webhookInvocations * prices.httpApiPerRequest,
    );
  }
  const { dynamoDb } = counts;
  add(
    "DynamoDB on-demand",
    `${dynamoDb.readRequestUnits} RRU + ${dynamoDb.writeRequestUnits} WRU`,
    dynamoDb.readRequestUnits * prices.dynamoDbPerReadRequestUnit +
      dynamoDb.writeRequestUnits * prices.dynamoDbPerWriteRequestUnit,
  );
  add(
    "Secrets Manager",
    `${counts.secretsManagerCalls} GetSecretValue`,
    counts.secretsManagerCalls * prices.secretsManagerPerApiCall,
  );
  add("KMS (key custody)", `${counts.kmsCalls} Encrypt/Decrypt`, counts.kmsCalls * prices.kmsPerRequest);
  add("EventBridge", `${counts.domainEvents} events`, counts.domainEvents * prices.eventBridgePerEvent);
  add(
    "CloudWatch Logs (Lambda logs + EMF)",
    `${counts.logBytes} bytes`,
    (counts.logBytes / 2 ** 30) * prices.cloudWatchLogsPerGbIngested,
  );
  const total = lines.reduce((sum, line) => sum + line.usdPer1000, 0);
  return { lines, totalUsdPer1000: total, formula: COST_FORMULA };
}

/** What one reconciliation run costs, from its counted transitions, invocations, GB-s and request units. */
export function reconciliationRunUsd(
  run: {
    readonly stateTransitions: number;
    readonly lambdaInvocations: number;
    readonly lambdaGbSeconds: number;
    readonly lambdaArchitecture: "arm64" | "x86_64";
    readonly dynamoDb: { readonly readRequestUnits: number; readonly writeRequestUnits: number };
    readonly secretsManagerCalls: number;
    readonly kmsCalls?: number;
  },
  prices: PriceSheet,
): number {
  return (
    run.stateTransitions * prices.stepFunctionsPerStateTransition +
    run.lambdaInvocations * prices.lambdaPerRequest +
    run.lambdaGbSeconds * prices.lambdaPerGbSecond[run.lambdaArchitecture] +
    run.dynamoDb.readRequestUnits * prices.dynamoDbPerReadRequestUnit +
    run.dynamoDb.writeRequestUnits * prices.dynamoDbPerWriteRequestUnit +
    run.secretsManagerCalls * prices.secretsManagerPerApiCall +
    (run.kmsCalls ?? 0) * prices.kmsPerRequest
  );
}
