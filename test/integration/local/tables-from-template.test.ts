import { DescribeTableCommand, DescribeTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { PK, SK, STATUS_INDEX, TTL_ATTRIBUTE } from "../../../contracts/table-schema.js";
import { localDynamoDbClient } from "../../../local/dynamodb-local.js";
import { createTestPracticeTable } from "../../support/practice-table.js";

describe("createTablesFromTemplate", () => {
  it("creates the practice table in DynamoDB Local with the template's keys, index and TTL", async () => {
    const { endpoint, tableName } = await createTestPracticeTable();
    const client = localDynamoDbClient(endpoint);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: PK, KeyType: "HASH" },
      { AttributeName: SK, KeyType: "RANGE" },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((gsi) => gsi.IndexName)).toEqual([STATUS_INDEX]);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(TTL_ATTRIBUTE);
    client.destroy();
  });
});
