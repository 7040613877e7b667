// `ops executions [--practice <id>] [--status <s>] [--limit n]`: recent executions of every workflow the
// stack has, newest first, with the practice each one is for (read from its input).
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  ListExecutionsCommand,
} from "@aws-sdk/client-sfn";
import { redactCustomerKeys } from "../../functions/platform/mask.js";
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode } from "../errors.js";
import { formatDuration, formatTable, formatTime } from "../format.js";
import type { OpsTarget } from "../targets.js";

export interface ExecutionsOptions {
  readonly practice?: string;
  readonly status?: ExecutionStatus;
  readonly limit: number;
}

export interface ExecutionRow {
  readonly workflow: string;
  readonly name: string;
  readonly executionArn: string;
  readonly status: string;
  readonly startDate?: string;
  readonly stopDate?: string;
  readonly durationMs?: number;
  readonly practiceId?: string;
  readonly error?: string;
}

/** With --practice, how many executions (per workflow) are read looking for that practice's. */
const PRACTICE_SCAN_LIMIT = 500;
const DESCRIBE_BATCH = 8;

export const WORKFLOWS: readonly (readonly [string, string])[] = [
  ["onboarding", STACK_OUTPUTS.onboarding],
  ["offboarding", STACK_OUTPUTS.offboarding],
  ["reconciliation", STACK_OUTPUTS.reconciliation],
];

async function listRecent(
  target: OpsTarget,
  stateMachineArn: string,
  status: ExecutionStatus | undefined,
  max: number,
): Promise<ExecutionListItem[]> {
  const items: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        ...(status ? { statusFilter: status } : {}),
        maxResults: Math.min(100, max - items.length),
        nextToken,
      }),
    );
    items.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && items.length < max);
  return items;
}

function practiceOf(input: string | undefined): string | undefined {
  if (!input) return undefined;
  try {
    const parsed = JSON.parse(input) as { practiceId?: unknown };
    return typeof parsed?.practiceId === "string" ? parsed.practiceId : undefined;
  } catch {
    return undefined;
  }
}

export async function listExecutionRows(
  target: OpsTarget,
  options: ExecutionsOptions,
): Promise<ExecutionRow[]> {
  const perWorkflow = options.practice ? PRACTICE_SCAN_LIMIT : options.limit;
  const listed: { workflow: string; item: ExecutionListItem }[] = [];
  for (const [workflow, output] of WORKFLOWS) {
    const arn = target.optionalOutput(output);
    if (!arn) continue;
    for (const item of await listRecent(target, arn, options.status, perWorkflow))
      listed.push({ workflow, item });
  }
  listed.sort(
    (a, b) => new Date(b.item.startDate ?? 0).getTime() - new Date(a.item.startDate ?? 0).getTime(),
  );
  const candidates = options.practice ? listed : listed.slice(0, options.limit);
  const rows: ExecutionRow[] = [];
  // Newest first, a batch at a time, stopping once enough match: DescribeExecution is throttled on AWS.
  for (let at = 0; at < candidates.length && rows.length < options.limit; at += DESCRIBE_BATCH) {
    const batch = await Promise.all(
      candidates.slice(at, at + DESCRIBE_BATCH).map((entry) => describeRow(target, entry)),
    );
    rows.push(...batch.filter((row) => !options.practice || row.practiceId === options.practice));
  }
  return rows.slice(0, options.limit);
}

async function describeRow(
  target: OpsTarget,
  { workflow, item }: { workflow: string; item: ExecutionListItem },
): Promise<ExecutionRow> {
  const described = await target.sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
  const start = item.startDate ? new Date(item.startDate) : undefined;
  const stop = item.stopDate ? new Date(item.stopDate) : undefined;
  const practiceId = practiceOf(described.input);
  return {
    workflow,
    name: item.name ?? "",
    executionArn: item.executionArn ?? "",
    status: item.status ?? "UNKNOWN",
    ...(start ? { startDate: start.toISOString() } : {}),
    ...(stop ? { stopDate: stop.toISOString() } : {}),
    ...(start && stop ? { durationMs: stop.getTime() - start.getTime() } : {}),
    ...(practiceId ? { practiceId } : {}),
    ...(described.error ? { error: redactCustomerKeys(described.error) } : {}),
  };
}

export async function executions(context: CommandContext, options: ExecutionsOptions): Promise<ExitCode> {
  const rows = await listExecutionRows(context.target, options);
  context.printJson({ executions: rows });
  if (rows.length === 0) {
    context.print("No executions match.");
    return EXIT.ok;
  }
  context.print(
    formatTable(
      ["started", "workflow", "status", "duration", "practice", "execution", "error"],
      rows.map((row) => [
        formatTime(row.startDate),
        row.workflow,
        row.status,
        row.durationMs === undefined ? undefined : formatDuration(row.durationMs),
        row.practiceId,
        row.name,
        row.error,
      ]),
    ),
  );
  return EXIT.ok;
}
