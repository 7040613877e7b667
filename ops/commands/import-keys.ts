// `ops import [--match devref | --file <csv> [--accept-label-mismatch]] [--dry-run]`: adopts portal keys created outside this system into
// the practice table (functions/practice/key-import.ts does the matching and writing; nothing is sent to the
// portal but one listing). Exit 1 when a CSV row is wrong (nothing written) or a conflict left a key unimported.
import { formatImportResult, importKeys as importPortalKeys } from "../../functions/practice/key-import.js";
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode, OperationFailed } from "../errors.js";
import { opsRequester } from "../execution-names.js";
import { portalClientFor } from "../live-key.js";
import { missingKeyAdministratorAccess } from "../portal-access.js";
import type { ImportOptions, ImportSource } from "../requests.js";

export async function importKeys(
  context: CommandContext,
  source: ImportSource,
  options: ImportOptions,
): Promise<ExitCode> {
  const { target } = context;
  const result = await importPortalKeys({
    mode: source.kind === "devref" ? "devref" : { csv: source.csv },
    dryRun: options.dryRun === true,
    acceptLabelMismatch: options.acceptLabelMismatch === true,
    portal: portalClientFor(target),
    store: target.practiceStore(),
    client: target.documentClient,
    tableName: target.output(STACK_OUTPUTS.tableName, "practice table"),
    actor: opsRequester(),
  }).catch((error: unknown) => {
    const missing = missingKeyAdministratorAccess(
      error,
      target.output(STACK_OUTPUTS.portalSecret, "portal secret"),
    );
    throw missing ? new OperationFailed(`ops import was refused: it ${missing}`) : error;
  });
  context.printJson({ command: "import", ...result });
  context.print(formatImportResult(result));
  return result.errors.length > 0 || result.conflicts.length > 0 ? EXIT.failed : EXIT.ok;
}
