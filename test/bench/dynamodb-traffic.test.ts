import { describe, expect, it } from "vitest";
import { dynamoDbTraffic, requestConsumedCapacity } from "../../bench/dynamodb-traffic.js";
import type { RecordedRequest } from "../../bench/recording-proxy.js";

let seq = 0;
function recorded(operation: string, body: unknown, response: unknown): RecordedRequest {
  seq += 1;
  return {
    seq,
    method: "POST",
    path: "/",
    target: `DynamoDB_20120810.${operation}`,
    body: JSON.stringify(body),
    headers: {},
    startedAt: seq,
    status: 200,
    responseBody: JSON.stringify(response),
  };
}

describe("dynamoDbTraffic", () => {
  it("counts each item of a transaction and takes its units from ConsumedCapacity", () => {
    const traffic = dynamoDbTraffic([
      recorded(
        "TransactWriteItems",
        { TransactItems: [{ Put: {} }, { Update: {} }, { ConditionCheck: {} }] },
        { ConsumedCapacity: [{ TableName: "t", CapacityUnits: 6 }] },
      ),
    ]);
    expect(traffic).toEqual({
      requestsByOperation: { TransactWriteItems: 1 },
      readRequests: 0,
      writeRequests: 1,
      itemsRead: 0,
      itemsWritten: 3,
      readRequestUnits: 0,
      writeRequestUnits: 6,
      failedConditionalWrites: 0,
      unitsAssumed: 0,
      batchReadsRaisedToMinimum: 0,
      transactionsRaisedToMinimum: 0,
    });
  });

  it("bills every item of a transaction at least 2 WRU, as AWS does (DynamoDB Local reported 6 for four items)", () => {
    // AWS: a transactional write costs 2 WRU per item per KB, a ConditionCheck included; DynamoDB Local sized
    // one onboarding's 4-item transaction (practice, key, attempt, audit) at 6 units.
    const traffic = dynamoDbTraffic([
      recorded(
        "TransactWriteItems",
        { TransactItems: [{ Update: {} }, { Put: {} }, { Update: {} }, { Put: {} }] },
        { ConsumedCapacity: [{ TableName: "t", CapacityUnits: 6 }] },
      ),
      recorded(
        "TransactWriteItems",
        { TransactItems: [{ ConditionCheck: {} }, { Update: {} }] },
        { ConsumedCapacity: [{ TableName: "t", CapacityUnits: 6 }] },
      ),
    ]);
    expect(traffic.writeRequestUnits).toBe(8 + 6);
    expect(traffic.transactionsRaisedToMinimum).toBe(1);
  });

  it("bills a write refused by its condition 1 WRU, as DynamoDB does", () => {
    const traffic = dynamoDbTraffic([
      recorded(
        "UpdateItem",
        { Key: {} },
        { __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" },
      ),
      recorded("GetItem", { Key: {} }, { ConsumedCapacity: { TableName: "t", CapacityUnits: 1 } }),
    ]);
    expect(traffic.writeRequestUnits).toBe(1);
    expect(traffic.failedConditionalWrites).toBe(1);
    expect(traffic.readRequestUnits).toBe(1);
    expect(traffic.requestsByOperation).toEqual({ UpdateItem: 1, GetItem: 1 });
  });
});

describe("dynamoDbTraffic on BatchGetItem", () => {
  it("bills every requested item at least AWS's minimum when DynamoDB Local reports less", () => {
    const traffic = dynamoDbTraffic([
      recorded(
        "BatchGetItem",
        { RequestItems: { t: { Keys: [{}, {}, {}, {}], ConsistentRead: true }, u: { Keys: [{}, {}] } } },
        { ConsumedCapacity: [{ TableName: "t", CapacityUnits: 1 }] },
      ),
    ]);
    expect(traffic.readRequestUnits).toBe(5);
    expect(traffic.itemsRead).toBe(6);
    expect(traffic.batchReadsRaisedToMinimum).toBe(1);
  });
});

describe("requestConsumedCapacity", () => {
  it("asks for TOTAL consumed capacity on item operations only", () => {
    expect(JSON.parse(requestConsumedCapacity('{"Key":{}}', "DynamoDB_20120810.GetItem"))).toEqual({
      Key: {},
      ReturnConsumedCapacity: "TOTAL",
    });
    expect(requestConsumedCapacity('{"TableName":"t"}', "DynamoDB_20120810.DescribeTable")).toBe(
      '{"TableName":"t"}',
    );
  });
});
