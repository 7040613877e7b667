// `npm start`: runs the whole system on this machine and prints how to use it. Ctrl-C / SIGTERM stop everything.
import { Command, InvalidArgumentError } from "commander";
import { maskSecret } from "../functions/shared/mask.js";
import { parseDuration } from "../local/duration.js";
import { LocalConfigError, readLocalStackConfig } from "../local/local-config.js";
import { LocalStackAlreadyRunning, STACK_OUTPUTS, startLocalStack } from "../local/local-stack.js";

/** The line tests and scripts wait for. */
export const READY_LINE = "Local stack ready.";

const program = new Command()
  .name("npm start --")
  .description(
    "Run the whole practice-onboarding system locally: the synthesized state machines and handler code on a local\n" +
      "Step Functions engine, DynamoDB Local, local Step Functions/Secrets Manager endpoints, the webhook HTTP API\n" +
      "and the Open Dental portal simulator. Configure with OPEN_DENTAL_BASE_URL, OPEN_DENTAL_DEVELOPER_KEY,\n" +
      "OPEN_DENTAL_DEVELOPER_PORTAL_KEY, WEBHOOK_SECRET, LOCAL_PORT, LOCAL_DATA_DIR and PORTAL_MAX_RPS (see README).",
  )
  .option(
    "--reconcile-every <duration>",
    "run report-only reconciliation this often (e.g. 15m, 1h; off to disable)",
    (value: string) => {
      try {
        return parseDuration(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    },
    3_600_000,
  )
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

async function main(): Promise<void> {
  program.parse();
  const { reconcileEvery } = program.opts<{ reconcileEvery: number | undefined }>();
  let config: ReturnType<typeof readLocalStackConfig>;
  try {
    config = readLocalStackConfig();
  } catch (error) {
    if (error instanceof LocalConfigError) {
      process.stderr.write(`npm start: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const stack = await startLocalStack({
    config,
    reconcileEveryMs: reconcileEvery,
    log: (line) => process.stdout.write(`  … ${line}\n`),
  }).catch((error: Error) => {
    process.stderr.write(`npm start: ${error.message}\n`);
    process.exit(error instanceof LocalStackAlreadyRunning ? 2 : 1);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    await stack.stop();
    process.stdout.write("Stopped.\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const { endpoints } = stack;
  const webhookUrl = endpoints.outputs[STACK_OUTPUTS.webhookUrl];
  const lines = [
    "",
    "Practice onboarding — local stack",
    "",
    `  Webhook (CRM)        POST ${webhookUrl}`,
    `  Portal               ${endpoints.portalBaseUrl}${stack.simulator ? "  (built-in simulator)" : ""}`,
    ...(stack.simulator
      ? [
          `  Simulator control    ${endpoints.simulatorOrigin}/_simulator/state`,
          `  Portal credentials   developer key ${stack.portalCredentials.developerKey} / portal key ${stack.portalCredentials.developerPortalKey} (simulator's own)`,
        ]
      : [
          `  Portal credentials   ${maskSecret(stack.portalCredentials.developerKey)} / ${maskSecret(stack.portalCredentials.developerPortalKey)}`,
        ]),
    `  Webhook secret       ${stack.webhookSecretGenerated ? `${stack.webhookSecret}  (generated; set WEBHOOK_SECRET to choose one)` : "from WEBHOOK_SECRET"}`,
    `  Step Functions / SM  ${endpoints.awsEndpoint}`,
    `  DynamoDB Local       ${endpoints.dynamoDbEndpoint}  table ${endpoints.outputs[STACK_OUTPUTS.tableName]}`,
    `  Portal rate limit    ${config.portalMaxRps} request(s)/second`,
    `  Reconciliation       ${reconcileEvery ? `every ${Math.round(reconcileEvery / 1000)} s (report-only)` : "off"}`,
    `  Domain events        ${endpoints.eventsFile}`,
    `  Endpoints file       .local/endpoints.json (used by ops --local)`,
    "",
    "  Try, in another terminal:",
    '    npm run webhook -- --practice practice-001 --dev-ref-id "Sarah\'s Super Dental"',
    "    npm run ops -- --local status practice-001",
    "    npm run ops -- --local list",
    '    npm run ops -- --local offboard practice-001 --reason "contract ended" --wait',
    "    npm run ops -- --local reconcile --wait",
    "",
    `${READY_LINE} Press Ctrl-C to stop.`,
    "",
  ];
  process.stdout.write(lines.join("\n"));
}

void main();
