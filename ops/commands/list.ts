// `ops list [--status <s>]`: practices in the table, one line each, keys masked.
import type { PracticeStatus } from "../../contracts/table-schema.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode } from "../errors.js";
import { formatTable, formatTime } from "../format.js";
import { practiceView } from "../practice-view.js";

export async function list(context: CommandContext, filter: { status?: PracticeStatus }): Promise<ExitCode> {
  const records = await context.target
    .practiceStore()
    .listPractices(filter.status ? { status: filter.status } : {});
  const practices = records.map(practiceView);
  context.printJson({ practices });
  if (practices.length === 0) {
    context.print(filter.status ? `No ${filter.status} practices.` : "No practices recorded yet.");
    return EXIT.ok;
  }
  context.print(
    formatTable(
      ["practice", "status", "key", "devRefId", "updated", "last execution"],
      practices.map((p) => [
        p.practiceId,
        p.status,
        p.maskedKey,
        p.devRefId,
        formatTime(p.updatedAt),
        p.lastExecution,
      ]),
    ),
  );
  context.print(`${practices.length} practice${practices.length === 1 ? "" : "s"}`);
  return EXIT.ok;
}
