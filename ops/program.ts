// The ops CLI's commands and options (commander). Global options are accepted before or after the command,
// like the AWS CLI; every argument is checked before any stack is contacted.
// Command modules (and the AWS SDK they load) are imported only when a command runs, so --help and usage errors
// answer at once.
import type { ExecutionStatus } from "@aws-sdk/client-sfn";
import { Command, CommanderError, Option } from "commander";
import { PRACTICE_STATUSES, type PracticeStatus } from "../contracts/table-schema.js";
import { parseOlderThan } from "./age-threshold.js";
import { EXECUTION_STATUSES, integerParser, nonEmptyParser, parsePracticeId } from "./arguments.js";
import type { CommandContext, OpsIo } from "./context.js";
import {
  describeFailure,
  EXIT,
  type ExitCode,
  OperationFailed,
  StoppedFollowing,
  UsageError,
} from "./errors.js";
import { checkGlobalOptions } from "./global-options.js";
import { parseLinkLifetime } from "./link-lifetime.js";
import { type MaskedKeyArgument, parseMaskedKey } from "./masked-key-argument.js";
import {
  type ImportOptions,
  type OffboardOptions,
  type OnboardOptions,
  type ReconcileOptions,
  validateImport,
  validateOffboard,
  validateOnboard,
  validateReconcile,
} from "./requests.js";
import {
  DEFAULT_LOCAL_ROLE,
  DEFAULT_STACK_NAME,
  LOCAL_ROLES,
  type LocalRole,
  STATE_DIR_VARIABLE,
} from "./stack-defaults.js";

interface GlobalOptions {
  readonly local?: boolean;
  readonly localRole: LocalRole;
  readonly json?: boolean;
  readonly stack: string;
  readonly region?: string;
  readonly stateDir?: string;
}

const USAGE_HINT = "(run with --help for usage)";

const EXAMPLES = `
Examples:
  npm run ops -- --local onboard practice-001 --dev-ref-id "Sarah's Super Dental" --wait
  npm run ops -- status practice-001 --local
  npm run ops -- list --status ACTIVE --json
  npm run ops -- --local list --not-installed --older-than 3d
  npm run ops -- --local activation-link practice-001 --expires 3d
  npm run ops -- offboard practice-001 --reason "contract ended" --wait
  npm run ops -- executions --practice practice-001 --limit 5
  npm run ops -- reconcile --wait --stack PracticeOnboarding --region eu-west-1

Without --local the commands act on the deployed stack (--stack, default ${DEFAULT_STACK_NAME}) with the
standard AWS credential chain. Exit status: 0 success, 1 the operation failed, 2 bad usage, 130 Ctrl-C
(while --wait follows an execution: the following stops, the execution keeps running).`;

/** Builds the program; `run` receives each command's validated work and returns its exit code. */
export function buildProgram(
  io: OpsIo,
  run: (globals: GlobalOptions, work: (context: CommandContext) => Promise<ExitCode>) => Promise<void>,
): Command {
  const program = new Command()
    .name("npm run ops --")
    .description(
      "Operate the practice-onboarding system: start and follow workflows, inspect practices and keys.",
    )
    .option("--local", "act on the running local stack (npm start) instead of AWS")
    .addOption(
      new Option(
        "--local-role <role>",
        "with --local, who signs: the operator (OperatorPolicy) or a key administrator (OperatorPolicy + KeyAdministratorPolicy, for import, adopt-key, release-key and status's live portal view)",
      )
        .choices(LOCAL_ROLES)
        .default(DEFAULT_LOCAL_ROLE),
    )
    .option("--json", "print one JSON document instead of tables")
    .option("--stack <name>", "CloudFormation stack to act on", DEFAULT_STACK_NAME)
    .option("--region <region>", "AWS region (default: the standard AWS configuration)")
    .addOption(
      new Option(
        "--state-dir <dir>",
        `where --local finds endpoints.json (env ${STATE_DIR_VARIABLE})`,
      ).hideHelp(),
    )
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError(USAGE_HINT)
    .exitOverride()
    .addHelpText("after", EXAMPLES);

  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();

  program
    .command("onboard")
    .description("start onboarding a practice: create, label and record its CustomerKey")
    .argument("<practiceId>", "practice id (1-64 of A-Z a-z 0-9 . _ : -)", parsePracticeId)
    .option("--dev-ref-id <label>", "label shown in the Open Dental portal (default: the practice id)")
    .option("--wait", "follow the execution state by state until it ends")
    .action(async (practiceId: string, options: OnboardOptions, command: Command) => {
      const request = validateOnboard(practiceId, options);
      await run(globals(command), async (context) =>
        (await import("./commands/onboard.js")).onboard(context, request, options),
      );
    });

  program
    .command("offboard")
    .description("start offboarding a practice: disable its CustomerKey and record it")
    .argument("<practiceId>", "practice id", parsePracticeId)
    .requiredOption("--reason <text>", "why (kept in the record and the audit trail)")
    .option("--wait", "follow the execution state by state until it ends")
    .action(async (practiceId: string, options: OffboardOptions, command: Command) => {
      const request = validateOffboard(practiceId, options);
      await run(globals(command), async (context) =>
        (await import("./commands/offboard.js")).offboard(context, request, options),
      );
    });

  program
    .command("cancel-offboarding")
    .description(
      "cancel a practice's pending CRM offboarding request (grace period or awaiting approval); the practice is unchanged",
    )
    .argument("<practiceId>", "practice id", parsePracticeId)
    .action(async (practiceId: string, _options: object, command: Command) => {
      await run(globals(command), async (context) =>
        (await import("./commands/offboarding-request.js")).cancelOffboarding(context, practiceId),
      );
    });

  program
    .command("approve-offboarding")
    .description(
      "approve a practice's pending CRM offboarding request: start its offboarding now and close the request",
    )
    .argument("<practiceId>", "practice id", parsePracticeId)
    .action(async (practiceId: string, _options: object, command: Command) => {
      await run(globals(command), async (context) =>
        (await import("./commands/offboarding-request.js")).approveOffboarding(context, practiceId),
      );
    });

  program
    .command("activation-link")
    .description(
      "issue a one-time link that walks an ACTIVE practice's office through installing its key (revokes its open link)",
    )
    .argument("<practiceId>", "practice id", parsePracticeId)
    .option(
      "--expires <duration>",
      "how long the link works: 5m to 30d, e.g. 7d, 36h, 1d12h",
      parseLinkLifetime,
    )
    .action(async (practiceId: string, options: { expires?: number }, command: Command) => {
      await run(globals(command), async (context) =>
        (await import("./commands/activation-link.js")).activationLink(context, {
          practiceId,
          ...(options.expires !== undefined ? { lifetimeMs: options.expires } : {}),
        }),
      );
    });

  program
    .command("status")
    .description("a practice's record, last execution, live key status in the portal and recent audit")
    .argument("<practiceId>", "practice id", parsePracticeId)
    .action(async (practiceId: string, _options: object, command: Command) => {
      await run(globals(command), async (context) =>
        (await import("./commands/status.js")).status(context, practiceId),
      );
    });

  program
    .command("list")
    .description("practices in the table, keys masked")
    .addOption(new Option("--status <status>", "only practices in this status").choices(PRACTICE_STATUSES))
    .option(
      "--not-installed",
      "only ACTIVE practices whose key the office has not installed in Open Dental (as of the last reconciliation)",
    )
    .option(
      "--older-than <age>",
      "with --not-installed: ACTIVE for longer than this, e.g. 3d, 36h, 1d12h (1m to 365d)",
      parseOlderThan,
    )
    .addHelpText(
      "after",
      "\nThe FUNNEL column shows where an ACTIVE practice's key stands: no link, link issued, revealed, installed.\n" +
        "Offices to call: npm run ops -- list --not-installed --older-than 3d",
    )
    .action(
      async (
        options: { status?: PracticeStatus; notInstalled?: boolean; olderThan?: number },
        command: Command,
      ) => {
        if (options.olderThan !== undefined && !options.notInstalled)
          throw new UsageError(
            "--older-than goes with --not-installed (how long the key has gone uninstalled)",
          );
        if (options.notInstalled && options.status !== undefined && options.status !== "ACTIVE")
          throw new UsageError(
            `--not-installed lists ACTIVE practices only; it cannot be combined with --status ${options.status}`,
          );
        await run(globals(command), async (context) =>
          (await import("./commands/list.js")).list(context, {
            ...(options.status ? { status: options.status } : {}),
            ...(options.notInstalled ? { notInstalled: true } : {}),
            ...(options.olderThan !== undefined ? { olderThanMs: options.olderThan } : {}),
          }),
        );
      },
    );

  program
    .command("executions")
    .description("recent executions of every workflow, newest first")
    .option("--practice <id>", "only executions for this practice", parsePracticeId)
    .addOption(new Option("--status <status>", "only executions in this status").choices(EXECUTION_STATUSES))
    .option("--limit <n>", "at most this many (1-1000)", integerParser("--limit", 1, 1000), 20)
    .action(
      async (options: { practice?: string; status?: ExecutionStatus; limit: number }, command: Command) => {
        await run(globals(command), async (context) =>
          (await import("./commands/executions.js")).executions(context, options),
        );
      },
    );

  program
    .command("reconcile")
    .description("compare the portal's keys with the table and report drift (repair with --repair)")
    .option("--repair", "repair what can be repaired (default: report only)")
    .option(
      "--grace-minutes <n>",
      "only repair drift older than this",
      integerParser("--grace-minutes", 0, 10080),
    )
    .option("--wait", "follow the execution and show its report")
    .option("--show [runId]", "show a stored run's report (the latest without an id) instead of starting one")
    .action(async (options: ReconcileOptions, command: Command) => {
      if (
        options.show !== undefined &&
        (options.repair || options.wait || options.graceMinutes !== undefined)
      )
        throw new UsageError(
          "--show reads a stored run: it cannot be combined with --repair, --wait or --grace-minutes",
        );
      await run(globals(command), async (context) =>
        (await import("./commands/reconcile.js")).reconcile(context, validateReconcile(options)),
      );
    });

  program
    .command("import")
    .description("adopt portal keys created outside this system into the practice table")
    .option("--match <rule>", 'match keys to practices by "devref" (the key\'s DevRefId is the practice id)')
    .option("--file <csv>", "match keys to practices from a CSV of practiceId,customerKey")
    .option("--dry-run", "show what would be imported, change nothing")
    .option(
      "--accept-label-mismatch",
      "CSV: import rows whose key the portal labels for another practice (refused without it)",
    )
    .action(async (options: ImportOptions, command: Command) => {
      const source = validateImport(options);
      await run(globals(command), async (context) =>
        (await import("./commands/import-keys.js")).importKeys(context, source, options),
      );
    });

  program
    .command("migrate-keys")
    .description(
      "re-address a practice table written before key custody: ledger by fingerprint, records fingerprinted (idempotent, resumable)",
    )
    .option("--page-size <n>", "items per Scan page", integerParser("--page-size", 1, 1000))
    .option("--start-after <cursor>", "resume after the cursor a previous run printed")
    .action(async (options: { pageSize?: number; startAfter?: string }, command: Command) => {
      await run(globals(command), async (context) =>
        (await import("./commands/migrate-keys.js")).migrateKeys(context, options),
      );
    });

  program
    .command("candidates")
    .description(
      "lost-POST candidates of the latest finished reconciliation: unlabeled keys that may be ours, with the evidence",
    )
    .option(
      "--run <runId>",
      "read this run's report instead of the latest finished one",
      nonEmptyParser("--run"),
    )
    .addHelpText(
      "after",
      "\nExample:\n  npm run ops -- --local candidates --json\n\nDecide each one with adopt-key (ours) or release-key (not ours).",
    )
    .action(async (options: { run?: string }, command: Command) => {
      await run(globals(command), async (context) =>
        (await import("./commands/candidates.js")).candidates(context, options),
      );
    });

  program
    .command("adopt-key")
    .description(
      "a lost-POST candidate is ours: the ledger records it as the orphan of the practice's create attempt; the next reconcile --repair disables it",
    )
    .argument(
      "<maskedKey>",
      "the candidate as ops candidates shows it (…W2HD #3f9a1c, ...W2HD #3f9a1c, or its fingerprint #3f9a1c), never the full key",
      parseMaskedKey,
    )
    .requiredOption(
      "--practice <id>",
      "the practice whose create attempt lost the key's answer",
      parsePracticeId,
    )
    .option(
      "--run <runId>",
      "the run whose report lists the candidate (default: the latest finished)",
      nonEmptyParser("--run"),
    )
    .addHelpText(
      "after",
      "\nExample:\n  npm run ops -- --local --local-role key-administrator adopt-key '…W2HD #3f9a1c' --practice practice-001\n\nNeeds KeyAdministratorPolicy. Adopting twice is harmless.",
    )
    .action(
      async (maskedKey: MaskedKeyArgument, options: { practice: string; run?: string }, command: Command) => {
        await run(globals(command), async (context) =>
          (await import("./commands/adopt-key.js")).adoptKey(context, {
            maskedKey,
            practiceId: options.practice,
            ...(options.run ? { run: options.run } : {}),
          }),
        );
      },
    );

  program
    .command("release-key")
    .description(
      "a lost-POST candidate is not ours: no reconciliation counts it as a candidate or changes it again",
    )
    .argument(
      "<maskedKey>",
      "the candidate as ops candidates shows it (…W2HD #3f9a1c, ...W2HD #3f9a1c, or its fingerprint #3f9a1c), never the full key",
      parseMaskedKey,
    )
    .requiredOption("--reason <text>", "why it is not ours (kept with the release)")
    .option(
      "--run <runId>",
      "the run whose report lists the candidate (default: the latest finished)",
      nonEmptyParser("--run"),
    )
    .addHelpText(
      "after",
      "\nExample:\n  npm run ops -- --local --local-role key-administrator release-key '#3f9a1c' --reason \"made by hand for the lab\"\n\nNeeds KeyAdministratorPolicy. Releasing twice is harmless.",
    )
    .action(
      async (maskedKey: MaskedKeyArgument, options: { reason: string; run?: string }, command: Command) => {
        if (options.reason.trim() === "") throw new UsageError("--reason must say why the key is not ours");
        await run(globals(command), async (context) =>
          (await import("./commands/release-key.js")).releaseKey(context, {
            maskedKey,
            reason: options.reason.trim(),
            ...(options.run ? { run: options.run } : {}),
          }),
        );
      },
    );

  return program;
}

/** The global options of this run, as a command the user can paste would repeat them. */
function globalArguments(globals: GlobalOptions): string[] {
  if (globals.local)
    return [
      "--local",
      ...(globals.localRole !== DEFAULT_LOCAL_ROLE ? ["--local-role", globals.localRole] : []),
    ];
  return [
    ...(globals.stack !== DEFAULT_STACK_NAME ? ["--stack", globals.stack] : []),
    ...(globals.region ? ["--region", globals.region] : []),
  ];
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. Never throws. */
export async function runOps(argv: readonly string[], io: OpsIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = buildProgram(io, async (globals, work) => {
    checkGlobalOptions(globals);
    const { createContext } = await import("./context.js");
    const { resolveTarget } = await import("./targets.js");
    const target = await resolveTarget({
      ...(globals.local ? { local: true, localRole: globals.localRole } : {}),
      stack: globals.stack,
      ...(globals.region ? { region: globals.region } : {}),
      ...(globals.stateDir ? { stateDir: globals.stateDir } : {}),
    });
    try {
      const context = createContext(target, globals.json === true, io, globalArguments(globals));
      io.onTargetKnown?.(context.opsCommand("executions"));
      exitCode = await work(context);
    } finally {
      target.close();
    }
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (and the usage hint).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof StoppedFollowing) {
      // After the ^C the terminal echoed.
      io.stderr(`\n${error.message}\n`);
      return EXIT.interrupted;
    }
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n${USAGE_HINT}\n`);
      return EXIT.usage;
    }
    const message = error instanceof OperationFailed ? error.message : describeFailure(error);
    io.stderr(`error: ${message}\n`);
    return EXIT.failed;
  }
}
