// Vitest global setup: one DynamoDB Local for the whole run (its JVM takes seconds to start), stopped at the end.
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../local/dynamodb-local.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal();
  project.provide("dynamoDbEndpoint", dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
