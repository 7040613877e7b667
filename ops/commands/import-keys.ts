// `ops import [--match devref | --file <csv>] [--dry-run]`: adopts portal keys created outside this system
// into the practice table. The matching and writing live in the reconciliation domain (issue 5); this command
// validates its arguments now and is wired to that domain's importKeys when it lands.
import type { CommandContext } from "../context.js";
import { type ExitCode, OperationFailed } from "../errors.js";
import type { ImportOptions, ImportSource } from "../requests.js";

export async function importKeys(
  context: CommandContext,
  _source: ImportSource,
  _options: ImportOptions,
): Promise<ExitCode> {
  throw new OperationFailed(
    `import is not available against ${context.target.description} in this build: it arrives with the reconciliation domain (importKeys)`,
  );
}
