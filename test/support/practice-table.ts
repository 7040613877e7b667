// Gives each test file its own practice table in the shared DynamoDB Local, built from the synthesized template.
import { randomUUID } from "node:crypto";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { inject } from "vitest";
import { buildApp } from "../../lib/build-app.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { createTablesFromTemplate } from "../../local/tables-from-template.js";

let cachedTemplate: Record<string, unknown> | undefined;

/** The real stack's template, synthesized once per test file without bundling. */
export function synthesizedTemplate(): Record<string, unknown> {
  if (!cachedTemplate) {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    cachedTemplate = Template.fromStack(buildApp(app)).toJSON();
  }
  return cachedTemplate;
}

export interface TestTable {
  readonly endpoint: string;
  readonly tableName: string;
}

/** Creates a fresh, uniquely named copy of the stack's practice table in DynamoDB Local. */
export async function createTestPracticeTable(): Promise<TestTable> {
  const endpoint = inject("dynamoDbEndpoint");
  const client = localDynamoDbClient(endpoint);
  const suffix = randomUUID().slice(0, 8);
  try {
    const names = await createTablesFromTemplate(
      client,
      synthesizedTemplate() as never,
      (id) => `${id}-${suffix}`,
    );
    const tableName = Object.values(names)[0];
    if (!tableName) throw new Error("the synthesized template declares no DynamoDB table");
    return { endpoint, tableName };
  } finally {
    client.destroy();
  }
}
