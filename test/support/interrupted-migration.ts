// `ops migrate-keys` is resumable: a run stopped after its first page, then resumed from the cursor it reported,
// must end where one whole run ends. Both migration tests (key re-addressing, masked forms) drive it the same way.
import { expect } from "vitest";
import type { PracticeStore } from "../../functions/practice/practice-store.js";

/** Runs the migration until its first page's progress report (then throws), and resumes from that cursor. */
export async function migrateInterruptedThenResumed(store: PracticeStore, pageSize: number): Promise<void> {
  let cursor: Record<string, unknown> | undefined;
  const interrupted = new Error("interrupted");
  await expect(
    store.migrateKeys({
      pageSize,
      onProgress: (_counts, next) => {
        cursor = next;
        throw interrupted;
      },
    }),
  ).rejects.toBe(interrupted);
  expect(cursor).toBeDefined();
  await store.migrateKeys({ pageSize, ...(cursor ? { startAfter: cursor } : {}) });
}
