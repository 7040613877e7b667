// A PracticeStore on a test table with key custody as the functions have it: the test fingerprinter and the
// in-process KMS cipher (keys are stored encrypted, docs/architecture.md §4 invariant 13).
import { PracticeStore } from "../../functions/practice/practice-store.js";
import type { PracticeTable } from "../../functions/practice/practice-table.js";
import { testKeyCipher } from "./test-key-cipher.js";
import { testFingerprinter } from "./test-key-custody.js";

export function testPracticeStore(table: Pick<PracticeTable, "client" | "tableName">): PracticeStore {
  return new PracticeStore({
    client: table.client,
    tableName: table.tableName,
    fingerprint: testFingerprinter,
    keyCipher: testKeyCipher,
  });
}
