// The container's practice store, built on first use (reads TABLE_NAME then). A function that first sees keys
// passes its fingerprinter (functions/key-custody/key-fingerprint-secret.ts), one that writes or sends a key its
// key cipher (functions/key-custody/key-cipher-runtime.ts); the rest pass neither and bundle no Secrets Manager or
// KMS client for them (docs/architecture.md §4).
import type { KeyCipher } from "../key-custody/key-cipher.js";
import type { KeyFingerprinter } from "../key-custody/key-fingerprint.js";
import { tableNameFromEnv } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { PracticeStore } from "./practice-store.js";

export interface StoreCustody {
  readonly fingerprint?: KeyFingerprinter;
  readonly keyCipher?: KeyCipher;
}

// One store per kind of custody: the local stack runs every handler in one process, sharing this module.
const stores = new Map<string, PracticeStore>();

export function practiceStore(custody: StoreCustody = {}): PracticeStore {
  const kind = `${custody.fingerprint ? "f" : ""}${custody.keyCipher ? "c" : ""}`;
  let store = stores.get(kind);
  if (!store) {
    store = new PracticeStore({ client: documentClient(), tableName: tableNameFromEnv(), ...custody });
    stores.set(kind, store);
  }
  return store;
}

/** Forgets the stores, so the next invocation reads TABLE_NAME again (tests, local stack). */
export function resetPracticeStore(): void {
  stores.clear();
}
