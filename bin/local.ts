// `npm start`: runs the whole system on this machine and prints how to use it. Ctrl-C / SIGTERM stop everything.
import * as path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { maskSecret } from "../functions/platform/mask.js";
import { parseDuration } from "../local/duration.js";
import { captureFunctionOutput, type FunctionOutputCapture } from "../local/function-output.js";
import { localAppBuilder } from "../local/local-app-context.js";
import { LocalConfigError, type LocalStackConfig, readLocalStackConfig } from "../local/local-config.js";
import {
  type LocalStack,
  LocalStackAlreadyRunning,
  READY_LINE,
  STACK_OUTPUTS,
  startLocalStack,
} from "../local/local-stack.js";

const program = new Command()
  .name("npm start --")
  .description(
    "Run the whole practice-onboarding system locally: the synthesized state machines and handler code on a local\n" +
      "Step Functions engine, DynamoDB Local, local Step Functions/Secrets Manager endpoints, the webhook HTTP API\n" +
      "and the Open Dental portal simulator. Configure with OPEN_DENTAL_BASE_URL, OPEN_DENTAL_DEVELOPER_KEY,\n" +
      "OPEN_DENTAL_DEVELOPER_PORTAL_KEY, WEBHOOK_SECRET, LOCAL_PORT, LOCAL_DATA_DIR, PORTAL_MAX_RPS and\n" +
      "PRACTICE_ONBOARDING_STATE_DIR (see README).",
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
  .option(
    "--log-to-terminal",
    "print the functions' logs and metric lines here instead of <state dir>/lambda.log",
  )
  .option(
    "--no-iam",
    "escape hatch: do not enforce the template's IAM and KMS policies (prints a warning; AWS will enforce them)",
  )
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

const terminal: { out: (text: string) => void; err: (text: string) => void } = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
let stack: LocalStack | undefined;
let capture: FunctionOutputCapture | undefined;
let stopping = false;

/** Stops what was started. A signal during start-up exits at once: the exit hooks kill the JVM and clear state. */
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (!stack) {
    terminal.err(`\n${signal} while starting: stopping.\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  }
  terminal.out(`\n${signal}: stopping the local stack…\n`);
  await stack.stop();
  capture?.restore();
  process.stdout.write("Stopped.\n");
  process.exit(0);
}

function readyBlock(started: LocalStack, config: LocalStackConfig, reconcileEvery: number | undefined) {
  const { endpoints } = started;
  // Short paths inside the project, absolute ones elsewhere (a test's temporary state directory).
  const relative = (file: string) => {
    const inside = path.relative(process.cwd(), file);
    return inside && !inside.startsWith("..") ? inside : file;
  };
  const webhookUrl = endpoints.outputs[STACK_OUTPUTS.webhookUrl];
  return [
    "",
    "Practice onboarding — local stack",
    "",
    `  Webhook (CRM)        POST ${webhookUrl}`,
    `  HubSpot              POST ${endpoints.httpApiUrl}/webhooks/hubspot  (client secret ${started.crmProviderSecrets.hubspotClientSecrets[0]})`,
    `  Salesforce           POST ${endpoints.httpApiUrl}/webhooks/salesforce/${started.crmProviderSecrets.salesforcePathTokens[0]}`,
    `  Portal               ${endpoints.portalBaseUrl}${started.simulator ? "  (built-in simulator)" : ""}`,
    ...(started.simulator
      ? [
          `  Simulator control    ${endpoints.simulatorOrigin}/_simulator/state`,
          `  Portal credentials   developer key ${started.portalCredentials.developerKey} / portal key ${started.portalCredentials.developerPortalKey} (simulator's own)`,
        ]
      : [
          `  Portal credentials   ${maskSecret(started.portalCredentials.developerKey)} / ${maskSecret(started.portalCredentials.developerPortalKey)}`,
        ]),
    `  Webhook secret       ${started.webhookSecretGenerated ? `${started.webhookSecret}  (generated; set WEBHOOK_SECRET to choose one)` : "from WEBHOOK_SECRET"}`,
    `  Step Functions / SM  ${endpoints.awsEndpoint}`,
    `  DynamoDB Local       ${endpoints.dynamoDbEndpoint}  table ${endpoints.outputs[STACK_OUTPUTS.tableName]}${config.dataDir ? `  (data in ${relative(config.dataDir)})` : "  (in memory)"}`,
    `  Portal rate limit    ${config.portalMaxRps} request(s)/second`,
    `  Reconciliation       ${reconcileEvery ? `every ${Math.round(reconcileEvery / 1000)} s (report-only)` : "off"}`,
    `  Domain events        ${relative(endpoints.eventsFile)}`,
    `  Function logs        ${capture ? `${relative(capture.file)}  (tail -f it; --log-to-terminal prints them here)` : "here"}`,
    `  Endpoints file       ${relative(path.join(started.stateDir, "endpoints.json"))} (used by ops --local and npm run webhook)`,
    "",
    "  Try, in another terminal:",
    '    npm run webhook -- --practice practice-001 --dev-ref-id "Sarah\'s Super Dental"',
    "    npm run webhook -- --provider hubspot --deal 4401 --stage closedwon",
    "    npm run webhook -- --provider salesforce --practice practice-002 --status Churned",
    "    npm run ops -- --local status practice-001",
    "    npm run ops -- --local list",
    '    npm run ops -- --local offboard practice-001 --reason "contract ended" --wait',
    "    npm run ops -- --local reconcile --wait",
    "",
    `${READY_LINE} Started in ${process.uptime().toFixed(1)} s. Press Ctrl-C to stop.`,
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  program.parse();
  const { reconcileEvery, logToTerminal, iam } = program.opts<{
    reconcileEvery: number | undefined;
    logToTerminal?: boolean;
    iam: boolean;
  }>();
  let config: LocalStackConfig;
  try {
    config = readLocalStackConfig();
  } catch (error) {
    if (error instanceof LocalConfigError) {
      terminal.err(`npm start: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(signal, () => void shutdown(signal));

  try {
    stack = await startLocalStack({
      config,
      reconcileEveryMs: reconcileEvery,
      iam,
      buildApp: localAppBuilder(process.env),
      log: (line) => terminal.out(`  … ${process.uptime().toFixed(1).padStart(5)} s  ${line}\n`),
      onExecutionEnded: (execution) =>
        terminal.out(
          `${new Date().toISOString().slice(11, 19)}  ${execution.stateMachineName.replace(/StateMachine[0-9A-F]{8}$/, "")} ${execution.executionName} ${execution.status}${execution.error ? ` (${execution.error})` : ""}\n`,
        ),
    });
  } catch (error) {
    terminal.err(`npm start: ${(error as Error).message}\n`);
    process.exit(error instanceof LocalStackAlreadyRunning ? 2 : 1);
  }
  if (!logToTerminal) {
    capture = captureFunctionOutput(path.join(stack.stateDir, "lambda.log"));
    terminal.out = capture.terminal.out;
    terminal.err = capture.terminal.err;
  }
  terminal.out(readyBlock(stack, config, reconcileEvery));
}

void main();
