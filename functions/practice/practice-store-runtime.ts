// The container's practice store, built on first use (reads TABLE_NAME then).
import { tableNameFromEnv } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { PracticeStore } from "./practice-store.js";

let store: PracticeStore | undefined;

export function practiceStore(): PracticeStore {
  store ??= new PracticeStore({ client: documentClient(), tableName: tableNameFromEnv() });
  return store;
}

/** Forgets the store, so the next invocation reads TABLE_NAME again (tests, local stack). */
export function resetPracticeStore(): void {
  store = undefined;
}
