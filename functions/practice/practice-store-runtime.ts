// The practice store for Lambdas that only touch the table (claim, record): built once per container.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { tableNameFromEnv } from "../platform/config.js";
import { PracticeStore } from "./practice-store.js";

let store: PracticeStore | undefined;

export function onboardingStore(): PracticeStore {
  store ??= new PracticeStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    tableName: tableNameFromEnv(),
  });
  return store;
}

/** Forgets the store, so the next invocation reads TABLE_NAME again (tests, local stack). */
export function resetOnboardingStore(): void {
  store = undefined;
}
