// The container's practice store, built on first use (reads TABLE_NAME then). A function that first sees keys
// passes its fingerprinter (functions/key-custody/key-fingerprint-secret.ts); the rest pass none and bundle no
// Secrets Manager client for it (docs/architecture.md §4).
import type { KeyFingerprinter } from "../key-custody/key-fingerprint.js";
import { tableNameFromEnv } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { PracticeStore } from "./practice-store.js";

let store: PracticeStore | undefined;
// Apart from the plain store: the local stack runs every handler in one process, sharing this module.
let fingerprintingStore: PracticeStore | undefined;

export function practiceStore(custody: { readonly fingerprint?: KeyFingerprinter } = {}): PracticeStore {
  const build = () =>
    new PracticeStore({ client: documentClient(), tableName: tableNameFromEnv(), ...custody });
  if (custody.fingerprint) {
    fingerprintingStore ??= build();
    return fingerprintingStore;
  }
  store ??= build();
  return store;
}

/** Forgets the store, so the next invocation reads TABLE_NAME again (tests, local stack). */
export function resetPracticeStore(): void {
  store = undefined;
  fingerprintingStore = undefined;
}
