// `ops migrate-keys [--page-size N] [--start-after <cursor>]`: re-addresses a practice table written before key
// custody, in place (functions/practice/key-migration.ts, docs/architecture.md §4). Idempotent and resumable:
// run it again, or from the last cursor it printed, and it changes nothing already migrated. Prints progress
// per page (counts and the cursor to resume from; never a key) and the totals.
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode, OperationFailed } from "../errors.js";

export interface MigrateKeysOptions {
  readonly pageSize?: number;
  readonly startAfter?: string;
}

/** The cursor as printed: base64url of the Scan key (table addresses only, which hold no key after migration). */
function encodeCursor(cursor: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

function decodeCursor(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new OperationFailed("--start-after must be a cursor printed by a previous ops migrate-keys run");
}

export async function migrateKeys(context: CommandContext, options: MigrateKeysOptions): Promise<ExitCode> {
  const { target } = context;
  target.output(STACK_OUTPUTS.keyFingerprintSecret, "key fingerprint secret");
  const startAfter = options.startAfter === undefined ? undefined : decodeCursor(options.startAfter);
  const counts = await target.practiceStore().migrateKeys({
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(startAfter ? { startAfter } : {}),
    onProgress: (so, cursor) =>
      context.progress(
        `scanned ${so.scanned}: ${so.ledgerEntries} ledger entries re-addressed, ${so.practiceRecords} practice records fingerprinted, ${so.scratchItems} scratch items deleted, ${so.maskedKeys} items' masked keys rewritten` +
          (cursor ? ` (resume with --start-after ${encodeCursor(cursor)})` : ""),
      ),
  });
  context.printJson({ command: "migrate-keys", ...counts });
  context.print(
    counts.ledgerEntries +
      counts.practiceRecords +
      counts.scratchItems +
      counts.encryptedKeys +
      counts.maskedKeys ===
      0
      ? `nothing to migrate (${counts.scanned} items scanned)`
      : `migrated: ${counts.ledgerEntries} ledger entries, ${counts.practiceRecords} practice records, ${counts.scratchItems} scratch items, ${counts.encryptedKeys} keys encrypted, ${counts.maskedKeys} items' masked keys (${counts.scanned} items scanned)`,
  );
  return EXIT.ok;
}
