// Counts DynamoDB reads, writes and request units from the requests a recording proxy saw (X-Amz-Target, the
// request body for items inside transactions and batches, the answer's ConsumedCapacity).
import type { RecordedRequest } from "./recording-proxy.js";

const READ_OPERATIONS = new Set(["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"]);
const WRITE_OPERATIONS = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

export interface DynamoDbTraffic {
  /** Requests per operation (`GetItem: 4`, …). */
  readonly requestsByOperation: Record<string, number>;
  readonly readRequests: number;
  readonly writeRequests: number;
  /** Items read / written, counting each item inside a transaction or batch. */
  readonly itemsRead: number;
  readonly itemsWritten: number;
  /** Read / write request units: DynamoDB Local's ConsumedCapacity, plus 1 WRU per failed conditional write. */
  readonly readRequestUnits: number;
  readonly writeRequestUnits: number;
  /** Writes refused by their condition: DynamoDB still bills them (at least 1 WRU each). */
  readonly failedConditionalWrites: number;
  /** Requests whose units had to be assumed (1 per item) because no ConsumedCapacity came back. */
  readonly unitsAssumed: number;
  /**
   * BatchGetItem requests that DynamoDB Local reported below AWS's minimum: AWS bills every requested item, found
   * or not, at least 1 RRU (strongly consistent) or 0.5 (eventually consistent); those are raised to it.
   */
  readonly batchReadsRaisedToMinimum: number;
  /**
   * TransactWriteItems requests that DynamoDB Local reported below AWS's minimum: AWS bills every item of a
   * transactional write, a ConditionCheck included, at least 2 WRU (2 per KB); Local sized one onboarding's
   * 4-item transaction at 6. Those are raised to it.
   */
  readonly transactionsRaisedToMinimum: number;
}

export const EMPTY_TRAFFIC: DynamoDbTraffic = {
  requestsByOperation: {},
  readRequests: 0,
  writeRequests: 0,
  itemsRead: 0,
  itemsWritten: 0,
  readRequestUnits: 0,
  writeRequestUnits: 0,
  failedConditionalWrites: 0,
  unitsAssumed: 0,
  batchReadsRaisedToMinimum: 0,
  transactionsRaisedToMinimum: 0,
};

/** The proxy's request rewrite that asks DynamoDB (Local) to report the capacity each request consumed. */
export function requestConsumedCapacity(body: string, target: string | undefined): string {
  if (!target?.startsWith("DynamoDB_")) return body;
  const operation = target.split(".")[1] ?? "";
  if (!READ_OPERATIONS.has(operation) && !WRITE_OPERATIONS.has(operation)) return body;
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (parsed.ReturnConsumedCapacity !== undefined) return body;
  return JSON.stringify({ ...parsed, ReturnConsumedCapacity: "TOTAL" });
}

/** Counts requests one at a time (as a proxy answers them), so nothing has to be kept. */
export class DynamoDbTrafficCounter {
  private traffic = { ...EMPTY_TRAFFIC, requestsByOperation: {} as Record<string, number> };

  add(request: RecordedRequest): void {
    const traffic = this.traffic;
    const operation = request.target?.split(".")[1];
    if (!operation) return;
    traffic.requestsByOperation[operation] = (traffic.requestsByOperation[operation] ?? 0) + 1;
    const isRead = READ_OPERATIONS.has(operation);
    const isWrite = WRITE_OPERATIONS.has(operation);
    if (!isRead && !isWrite) return;
    const items = itemCount(operation, request.body);
    const answer = parseJson(request.responseBody);
    const consumed = consumedUnits(answer);
    const failedCondition =
      isWrite && typeof answer?.__type === "string" && /ConditionalCheckFailed/.test(answer.__type);
    let units = consumed;
    if (failedCondition) {
      traffic.failedConditionalWrites += 1;
      units = Math.max(1, consumed ?? 0);
    } else if (units === undefined) {
      traffic.unitsAssumed += 1;
      units = items;
    }
    if (operation === "BatchGetItem") {
      const minimum = batchReadMinimumUnits(request.body);
      if (units < minimum) {
        traffic.batchReadsRaisedToMinimum += 1;
        units = minimum;
      }
    }
    if (operation === "TransactWriteItems" && !failedCondition && units < 2 * items) {
      traffic.transactionsRaisedToMinimum += 1;
      units = 2 * items;
    }
    if (isRead) {
      traffic.readRequests += 1;
      traffic.itemsRead += items;
      traffic.readRequestUnits += units;
    } else {
      traffic.writeRequests += 1;
      traffic.itemsWritten += items;
      traffic.writeRequestUnits += units;
    }
  }

  result(): DynamoDbTraffic {
    return { ...this.traffic, requestsByOperation: { ...this.traffic.requestsByOperation } };
  }
}

export function dynamoDbTraffic(requests: readonly RecordedRequest[]): DynamoDbTraffic {
  const counter = new DynamoDbTrafficCounter();
  for (const request of requests) counter.add(request);
  return counter.result();
}

function itemCount(operation: string, body: string): number {
  const parsed = parseJson(body);
  if (!parsed) return 1;
  if (operation === "TransactWriteItems" || operation === "TransactGetItems")
    return (parsed.TransactItems as unknown[] | undefined)?.length ?? 1;
  if (operation === "BatchWriteItem")
    return Object.values((parsed.RequestItems as Record<string, unknown[]>) ?? {}).reduce(
      (sum, list) => sum + list.length,
      0,
    );
  if (operation === "BatchGetItem")
    return Object.values((parsed.RequestItems as Record<string, { Keys: unknown[] }>) ?? {}).reduce(
      (sum, table) => sum + table.Keys.length,
      0,
    );
  return 1;
}

function batchReadMinimumUnits(body: string): number {
  const tables = (parseJson(body)?.RequestItems ?? {}) as Record<
    string,
    { Keys: unknown[]; ConsistentRead?: boolean }
  >;
  return Object.values(tables).reduce(
    (sum, table) => sum + table.Keys.length * (table.ConsistentRead ? 1 : 0.5),
    0,
  );
}

function consumedUnits(answer: Record<string, unknown> | undefined): number | undefined {
  const consumed = answer?.ConsumedCapacity as
    | { CapacityUnits?: number }
    | Array<{ CapacityUnits?: number }>
    | undefined;
  if (consumed === undefined) return undefined;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
