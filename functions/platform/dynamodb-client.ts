// The one DynamoDB document client of a container, built on first use (docs/architecture.md §5). Undefined
// attributes are dropped, so optional fields never reach the table as NULL.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

let client: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
}

/** Forgets the client, so the next call reads the environment again (tests, local stack). */
export function resetDocumentClient(): void {
  client = undefined;
}
