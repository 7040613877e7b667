// A DynamoDB document client on a fresh practice table in the shared DynamoDB Local, for integration tests.
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { createTestPracticeTable } from "./practice-table.js";

export interface TestDocumentTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly endpoint: string;
}

export async function createTestDocumentTable(): Promise<TestDocumentTable> {
  const { endpoint, tableName } = await createTestPracticeTable();
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, tableName, endpoint };
}
