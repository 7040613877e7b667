// `ops list [--status <s>] [--not-installed [--older-than 3d]]`: practices in the table, one line each, keys
// masked, with where each ACTIVE practice's key stands in the installation funnel (link issued → revealed →
// installed). `--not-installed` keeps the ACTIVE practices whose key reconciliation has not seen installed: the
// offices to call.
import type { PracticeStatus } from "../../contracts/table-schema.js";
import { latestActivationLink } from "../activation-link-view.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode } from "../errors.js";
import { formatTable, formatTime } from "../format.js";
import { type KeyFunnel, keyFunnel, notInstalledSince } from "../key-funnel.js";
import { practiceView } from "../practice-view.js";

export interface ListFilter {
  readonly status?: PracticeStatus;
  /** Only ACTIVE practices whose key is not seen installed. */
  readonly notInstalled?: boolean;
  /** With notInstalled: ACTIVE for longer than this many milliseconds. */
  readonly olderThanMs?: number;
}

/** Link reads in flight at once (two GetItems per ACTIVE practice). */
const LINK_READS_IN_FLIGHT = 8;

/** The funnel column: the stage and the time of its latest step. */
function funnelCell(funnel: KeyFunnel): string {
  const at =
    funnel.stage === "installed"
      ? funnel.installedAt
      : funnel.stage === "revealed"
        ? funnel.linkRevealedAt
        : funnel.stage === "-" || funnel.stage === "no link"
          ? undefined
          : funnel.linkIssuedAt;
  return at ? `${funnel.stage} ${formatTime(at)}` : funnel.stage;
}

export async function list(context: CommandContext, filter: ListFilter): Promise<ExitCode> {
  const status = filter.notInstalled ? "ACTIVE" : filter.status;
  const now = new Date();
  let records = await context.target.practiceStore().listPractices(status ? { status } : {});
  if (filter.notInstalled) {
    const before = new Date(now.getTime() - (filter.olderThanMs ?? 0));
    records = records.filter((record) => notInstalledSince(record, before));
  }
  const funnels: KeyFunnel[] = [];
  for (let i = 0; i < records.length; i += LINK_READS_IN_FLIGHT) {
    const chunk = records.slice(i, i + LINK_READS_IN_FLIGHT);
    funnels.push(
      ...(await Promise.all(
        chunk.map(async (record) =>
          keyFunnel(
            record,
            record.status === "ACTIVE"
              ? await latestActivationLink(context.target, record.practiceId, now)
              : null,
          ),
        ),
      )),
    );
  }
  const practices = records.map((record, i) => ({ ...practiceView(record), funnel: funnels[i]! }));
  context.printJson({ practices });
  if (practices.length === 0) {
    context.print(
      filter.notInstalled
        ? "Every ACTIVE practice's key is installed (as of the last reconciliation)."
        : filter.status
          ? `No ${filter.status} practices.`
          : "No practices recorded yet.",
    );
    return EXIT.ok;
  }
  context.print(
    formatTable(
      filter.notInstalled
        ? ["practice", "key", "devRefId", "active since", "funnel"]
        : ["practice", "status", "key", "devRefId", "updated", "funnel", "last execution"],
      practices.map((p) =>
        filter.notInstalled
          ? [
              p.practiceId,
              p.maskedKey,
              p.devRefId,
              formatTime(p.activatedAt ?? p.updatedAt),
              funnelCell(p.funnel),
            ]
          : [
              p.practiceId,
              p.status,
              p.maskedKey,
              p.devRefId,
              formatTime(p.updatedAt),
              funnelCell(p.funnel),
              p.lastExecution,
            ],
      ),
    ),
  );
  context.print(
    filter.notInstalled
      ? `${practices.length} ACTIVE practice${practices.length === 1 ? "" : "s"} whose key is not installed` +
          " (as of the last reconciliation): call these offices"
      : `${practices.length} practice${practices.length === 1 ? "" : "s"}`,
  );
  return EXIT.ok;
}
