// The whole system on one machine: the synthesized app's state machines and handler modules on the local engine,
// DynamoDB Local, local Step Functions / Secrets Manager endpoints, the webhook's HTTP API and the portal simulator.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { App } from "aws-cdk-lib";
import type { CrmProviderSecrets } from "../functions/webhook/crm-provider-secrets.js";
import { buildApp } from "../lib/build-app.js";
import { PROJECT_ROOT } from "../lib/handler-function.js";
import {
  type LocalEnforcement,
  NO_IAM_WARNING,
  startLocalEnforcement,
} from "./authorization/local-enforcement.js";
import { scheduleDeadLetter } from "./authorization/schedule-dead-letter.js";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "./aws-json-endpoint.js";
import type { SynthesizedStack } from "./cloudformation-template.js";
import { checkCrmMappings, generateCrmProviderSecrets } from "./crm-provider-secrets-local.js";
import {
  type DynamoDbLocal,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoDbClient,
  startDynamoDbLocal,
} from "./dynamodb-local.js";
import { createLocalEventBus, type LocalEventBus } from "./event-bus/local-event-bus.js";
import { type LocalStreamSources, startStreamEventSources } from "./event-bus/stream-event-sources.js";
import { ExecutionStatusEvents } from "./execution-status-events.js";
import { LOCAL_ACCOUNT_ID } from "./fake-aws.js";
import { findFreePort } from "./free-port.js";
import { httpApiRoutes, type LocalHttpApi, startLocalHttpApi } from "./http-api.js";
import { localKmsService } from "./kms/kms-service.js";
import { LocalKms } from "./kms/local-kms.js";
import type { LocalStackConfig } from "./local-config.js";
import {
  DEFAULT_STATE_DIR,
  ENDPOINTS_FILE,
  isAlive,
  type LocalEndpoints,
  leftEndpoints,
  STACK_OUTPUTS,
} from "./local-endpoints.js";
import { localFingerprintSecret } from "./local-key-custody.js";
import { LocalSecretStore } from "./local-secret-store.js";
import {
  type PortalSimulator,
  type PortalSimulatorOptions,
  startPortalSimulator,
} from "./portal-simulator.js";
import { synthesizeTemplates } from "./synthesize.js";
import { createTablesFromTemplate } from "./tables-from-template.js";
import { TemplateResolver } from "./template-resolver.js";
import { LocalWorkflowEngine } from "./workflow-engine.js";
import type { ExecutionReference } from "./workflow-execution.js";

// The endpoints contract lives in its own light module so `ops --local` does not load aws-cdk-lib to read it.
export {
  DEFAULT_STATE_DIR,
  ENDPOINTS_FILE,
  isAlive,
  type LocalEndpoints,
  localStateDir,
  readLocalEndpoints,
  STACK_OUTPUTS,
  STATE_DIR_VARIABLE,
} from "./local-endpoints.js";

export interface LocalStackOptions {
  readonly config: LocalStackConfig;
  /** Where `endpoints.json` and `events.jsonl` go. @default `<project>/.local` */
  readonly stateDir?: string;
  /** Builds the CDK app. @default lib/build-app.ts */
  readonly buildApp?: (app: App) => unknown;
  /** Shortens Step Functions retry waits (tests and the demo); the real stack keeps the definition's waits. */
  readonly retryIntervalOverrides?: number;
  /** Runs reconciliation (report-only) this often; undefined → never. */
  readonly reconcileEveryMs?: number;
  /** Extra simulator options (faults, seed keys) when the built-in simulator is used. */
  readonly simulator?: Partial<PortalSimulatorOptions>;
  /** Progress lines while starting. */
  readonly log?: (line: string) => void;
  /**
   * Enforce the template's IAM and KMS policies on every call of a function, the schedule and `ops --local`
   * (local/authorization/). `false` is an escape hatch only: it prints NO_IAM_WARNING. @default true
   */
  readonly iam?: boolean;
  /** Called when an execution of any state machine ends (the terminal's one line per execution). */
  readonly onExecutionEnded?: (execution: EndedExecution) => void;
}

export interface EndedExecution {
  /** State machine name, e.g. `OnboardingStateMachineFC9EE32A`. */
  readonly stateMachineName: string;
  readonly executionName: string;
  readonly executionArn: string;
  readonly status: "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
  /** `error` of a failed execution (e.g. `PortalRejected`). */
  readonly error?: string;
}

export interface LocalStack {
  readonly endpoints: LocalEndpoints;
  /** Where endpoints.json and events.jsonl were written. */
  readonly stateDir: string;
  readonly engine: LocalWorkflowEngine;
  /** Delivers ended executions' status changes to the rules' functions (claim release); `idle()` awaits them. */
  readonly executionStatusEvents: ExecutionStatusEvents;
  /** The table stream's consumers (the outbox delivery); `drain()` awaits every event recorded so far. */
  readonly streamSources: LocalStreamSources;
  /** The local EventBridge bus (faults can be injected, as the chaos run does). */
  readonly eventBus: LocalEventBus;
  readonly secrets: LocalSecretStore;
  readonly simulator?: PortalSimulator;
  /** The webhook signing secret in use (generated when WEBHOOK_SECRET was not set). */
  readonly webhookSecret: string;
  readonly webhookSecretGenerated: boolean;
  /** The HubSpot client secret and Salesforce path token the provider routes accept (generated). */
  readonly crmProviderSecrets: CrmProviderSecrets;
  readonly portalCredentials: { developerKey: string; developerPortalKey: string };
  readonly dynamoDbPid: number | undefined;
  stop(): Promise<void>;
}

/** What `npm start` prints once everything answers; tests and scripts wait for this line. */
export const READY_LINE = "Local stack ready.";

/** Written first, with the pid, so a second `npm start` during the first's start-up is refused too. */
export const LOCK_FILE = "local-stack.pid";
export class LocalStackAlreadyRunning extends Error {
  override readonly name = "LocalStackAlreadyRunning";
}

/** A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

function resolveOutputs(
  stacks: readonly SynthesizedStack[],
  resourceNames: Record<string, string>,
): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const stack of stacks) {
    const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName, resourceNames });
    for (const [name, output] of Object.entries(stack.template.Outputs ?? {})) {
      try {
        outputs[name] = resolver.resolveString((output as { Value: unknown }).Value, `Outputs.${name}`);
      } catch {
        // Outputs that only exist on AWS (e.g. the API's execute-api URL) are replaced below.
      }
    }
  }
  return outputs;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config } = options;
  const log = options.log ?? (() => undefined);
  const stateDir = options.stateDir ?? config.stateDir ?? DEFAULT_STATE_DIR;
  mkdirSync(stateDir, { recursive: true });
  const endpointsFile = path.join(stateDir, ENDPOINTS_FILE);
  refuseIfRunning(stateDir);
  const lockFile = path.join(stateDir, LOCK_FILE);
  writeFileSync(lockFile, `${process.pid}\n`);
  // If the process ends without stop() (a signal during start-up, a crash), leave no state saying it runs.
  const removeStateFiles = () => {
    rmSync(endpointsFile, { force: true });
    rmSync(lockFile, { force: true });
  };
  process.once("exit", removeStateFiles);

  const cleanups: Array<() => Promise<void> | void> = [
    () => {
      removeStateFiles();
      process.removeListener("exit", removeStateFiles);
    },
  ];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep stopping the rest: a half-stopped stack would leave processes behind.
      }
    }
  };

  try {
    await refuseIfPortBusy(config.port);
    log(
      config.dataDir
        ? `Starting DynamoDB Local (data in ${config.dataDir})`
        : "Starting DynamoDB Local (in memory)",
    );
    // The JVM boots in its own process while this one synthesizes: start-up takes the longer of the two, not both.
    const dynamoStarting = startDynamoDbLocal({ port: await findFreePort(), dataDir: config.dataDir });
    cleanups.push(async () => (await dynamoStarting.catch(() => undefined))?.stop());
    log("Synthesizing the CDK app");
    const templates = synthesizeTemplates(options.buildApp ?? buildApp);
    checkCrmMappings(templates);
    log("Waiting for DynamoDB Local");
    const dynamo: DynamoDbLocal = await dynamoStarting;
    const dynamoClient = localDynamoDbClient(dynamo.endpoint);
    const resourceNames: Record<string, string> = {};
    for (const stack of templates) {
      Object.assign(
        resourceNames,
        await createTablesFromTemplate(
          dynamoClient,
          stack.template as never,
          (id) => `${stack.stackName}-${id}`,
        ),
      );
    }
    dynamoClient.destroy();

    let enforcement: LocalEnforcement | undefined;
    if (options.iam === false) log(NO_IAM_WARNING);
    else {
      log("Enforcing the template's IAM and KMS policies");
      enforcement = await startLocalEnforcement({
        templates,
        resourceNames,
        dynamoDbLocalEndpoint: dynamo.endpoint,
        onDenied: (denial) =>
          log(
            `IAM: denied ${denial.deniedAction} on ${denial.deniedResource} to ${denial.principal} (${denial.errorType})`,
          ),
      });
      const started = enforcement;
      cleanups.push(() => started.close());
    }
    const dynamoDbEndpoint = enforcement?.dynamoDbEndpoint ?? dynamo.endpoint;

    let simulator: PortalSimulator | undefined;
    let portalBaseUrl = config.openDentalBaseUrl;
    let portalCredentials =
      config.developerKey && config.developerPortalKey
        ? { developerKey: config.developerKey, developerPortalKey: config.developerPortalKey }
        : undefined;
    if (!portalBaseUrl) {
      log("Starting the portal simulator");
      simulator = await startPortalSimulator({
        ...(portalCredentials ? { credentials: portalCredentials } : {}),
        ...options.simulator,
      });
      const started = simulator;
      cleanups.push(() => started.stop());
      portalBaseUrl = simulator.url;
      portalCredentials = simulator.credentials;
    }
    if (!portalCredentials)
      throw new Error("portal credentials are required when OPEN_DENTAL_BASE_URL is set");

    const eventsFile = path.join(stateDir, "events.jsonl");
    // Bound once the engine exists: its functions and executions are what the deliveries need.
    let statusEvents: ExecutionStatusEvents | undefined;
    const reportEnd = options.onExecutionEnded && executionEndReporter(options.onExecutionEnded);
    const engine = new LocalWorkflowEngine({
      templates,
      resourceNames,
      ...(options.retryIntervalOverrides === undefined
        ? {}
        : { retryIntervalOverrides: options.retryIntervalOverrides }),
      environment: {
        OPEN_DENTAL_BASE_URL: portalBaseUrl,
        PORTAL_MAX_RPS: String(config.portalMaxRps),
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
      },
      onEvent: (event, execution) => {
        reportEnd?.(event, execution);
        statusEvents?.onHistoryEvent(event, execution);
      },
    });
    cleanups.push(() => engine.close());
    statusEvents = new ExecutionStatusEvents({
      templates,
      functions: engine.app.functions,
      resourceNames,
      describeEnded: (executionArn) => engine.waitForExecution(executionArn),
      onDelivery: (delivery) => {
        if (delivery.error)
          log(
            `${delivery.function} failed for ${delivery.executionName} ${delivery.status} after ${delivery.attempts} attempt(s): ${delivery.error.name}: ${delivery.error.message}`,
          );
      },
      // Lambda's retries of the asynchronous invocation; shortened like the workflows' retries when asked.
      ...(options.retryIntervalOverrides === undefined
        ? {}
        : { retryDelaysMs: [options.retryIntervalOverrides, 2 * options.retryIntervalOverrides] }),
    });
    const executionStatusEvents = statusEvents;
    // Runs before engine.close(): executions the shutdown stops are not "released", and deliveries under way
    // finish while the table and the simulator are still up.
    cleanups.push(() => executionStatusEvents.close());

    const secrets = LocalSecretStore.fromTemplates(templates);
    const outputs = resolveOutputs(templates, resourceNames);
    const webhookSecret = config.webhookSecret ?? generateWebhookSecret();
    const portalSecretId = outputs[STACK_OUTPUTS.portalSecret];
    const webhookSecretId = outputs[STACK_OUTPUTS.webhookSecret];
    if (portalSecretId) {
      secrets.define(portalSecretId);
      secrets.putSecretValue(portalSecretId, JSON.stringify(portalCredentials));
    }
    if (webhookSecretId) {
      secrets.define(webhookSecretId);
      secrets.putSecretValue(webhookSecretId, JSON.stringify({ secrets: [webhookSecret] }));
    }
    // The fingerprint secret addresses every ledger item: generated once per state dir, kept with the table.
    const fingerprintSecretId = outputs[STACK_OUTPUTS.keyFingerprintSecret];
    if (fingerprintSecretId) {
      secrets.define(fingerprintSecretId);
      secrets.putSecretValue(fingerprintSecretId, localFingerprintSecret(stateDir));
    }

    const crmProviderSecrets = generateCrmProviderSecrets();
    const crmSecretId = outputs[STACK_OUTPUTS.crmProviderSecret];
    if (crmSecretId) {
      secrets.define(crmSecretId);
      secrets.putSecretValue(crmSecretId, JSON.stringify(crmProviderSecrets));
    }

    const authorize = enforcement?.authorizeAwsJson;
    // The bus the outbox delivery puts events on: each accepted entry is a line of the events file.
    const eventBus = createLocalEventBus({ eventsFile, region: LOCAL_REGION, account: LOCAL_ACCOUNT_ID });
    // KMS holds the template's keys (the custody key encrypts every stored CustomerKey); master secrets are kept
    // in the state dir beside the fingerprint secret, so ciphertexts outlive a restart as the table does.
    const kms = LocalKms.fromTemplates(templates, {
      dataDir: stateDir,
      ...(enforcement ? { authorize: enforcement.authorizeKms } : {}),
    });
    const awsEndpoint: LocalAwsEndpoint = await startLocalAwsEndpoint({
      engine,
      secrets,
      services: [eventBus.service, localKmsService(kms)],
      ...(authorize ? { authorize } : {}),
    });
    cleanups.push(() => awsEndpoint.close());
    // Handlers build their SDK clients on first use; the standard variables point them at the local endpoint.
    process.env.AWS_ENDPOINT_URL_SFN = awsEndpoint.url;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = awsEndpoint.url;
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = awsEndpoint.url;
    process.env.AWS_ENDPOINT_URL_KMS = awsEndpoint.url;

    // The table's stream feeds the outbox delivery as the event source mapping does on AWS (stopped before the
    // endpoint and DynamoDB Local, so deliveries under way finish).
    const streamClient = localDynamoDbClient(dynamo.endpoint);
    const streamSources = await startStreamEventSources({
      templates,
      resourceNames,
      functions: engine.app.functions,
      dynamoDb: streamClient,
      dynamoDbEndpoint: dynamo.endpoint,
      deadLetterFile: path.join(stateDir, "outbox-dead-letters.jsonl"),
      log,
    });
    cleanups.push(async () => {
      await streamSources.stop();
      streamClient.destroy();
    });

    log(`Serving the HTTP API on ${config.port === 0 ? "a free port" : `port ${config.port}`}`);
    const routes = httpApiRoutes(templates, engine.app.functions);
    let httpApi: LocalHttpApi;
    try {
      httpApi = await startLocalHttpApi({
        routes,
        port: config.port,
        loadModule: (entry) => import(pathToFileURL(path.resolve(PROJECT_ROOT, entry)).href),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
        throw new LocalStackAlreadyRunning(
          `LOCAL_PORT ${config.port} is already in use (another npm start, or another program): set LOCAL_PORT to a free port`,
        );
      throw error;
    }
    cleanups.push(() => httpApi.close());
    outputs[STACK_OUTPUTS.webhookUrl] = `${httpApi.url}/webhooks/crm`;
    outputs[STACK_OUTPUTS.activationBaseUrl] = `${httpApi.url}/`;
    outputs[STACK_OUTPUTS.portalBaseUrl] = portalBaseUrl;

    const reconciliationArn = outputs[STACK_OUTPUTS.reconciliation];
    if (options.reconcileEveryMs && reconciliationArn) {
      const timer = setInterval(() => {
        // EventBridge Scheduler starts it as the schedule's role; a refused start goes to the dead-letter queue.
        const refused = enforcement?.checkScheduledStart(reconciliationArn);
        if (refused) {
          log(scheduleDeadLetter(enforcement, templates, resourceNames, refused.message));
          return;
        }
        engine
          .startExecution({ stateMachineArn: reconciliationArn, input: JSON.stringify({ repair: false }) })
          .catch((error: Error) => log(`Scheduled reconciliation did not start: ${error.message}`));
      }, options.reconcileEveryMs);
      timer.unref();
      cleanups.push(() => clearInterval(timer));
    }

    const endpoints: LocalEndpoints = {
      version: 1,
      pid: process.pid,
      dynamoDbPid: dynamo.pid ?? null,
      startedAt: new Date().toISOString(),
      region: LOCAL_REGION,
      httpApiUrl: httpApi.url,
      awsEndpoint: awsEndpoint.url,
      dynamoDbEndpoint,
      portalBaseUrl,
      simulatorOrigin: simulator?.origin ?? null,
      outputs,
      eventsFile,
    };
    writeFileSync(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });

    return {
      endpoints,
      stateDir,
      engine,
      executionStatusEvents,
      streamSources,
      eventBus,
      secrets,
      ...(simulator ? { simulator } : {}),
      webhookSecret,
      webhookSecretGenerated: config.webhookSecret === undefined,
      crmProviderSecrets,
      portalCredentials,
      dynamoDbPid: dynamo.pid,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Refuses to start beside a stack that is running, or still starting, from the same state directory. */
function refuseIfRunning(stateDir: string): void {
  const previous = leftEndpoints(path.join(stateDir, ENDPOINTS_FILE));
  if (previous && isAlive(previous.pid) && previous.pid !== process.pid)
    throw new LocalStackAlreadyRunning(
      `A local stack is already running (pid ${previous.pid}, webhook ${previous.httpApiUrl}/webhooks/crm). Stop it (Ctrl-C in its terminal, or kill ${previous.pid}) or use it: npm run ops -- --local status <practiceId>`,
    );
  const lockFile = path.join(stateDir, LOCK_FILE);
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
      throw new LocalStackAlreadyRunning(
        `A local stack is already starting (pid ${pid}): wait for its "Local stack ready." line and use it, or stop it (kill ${pid})`,
      );
  }
}

/** Fails in a second, not after DynamoDB Local has started, when LOCAL_PORT is taken. */
async function refuseIfPortBusy(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new LocalStackAlreadyRunning(
              `LOCAL_PORT ${port} is already in use (another npm start, or another program): set LOCAL_PORT to a free port`,
            )
          : error,
      ),
    );
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
  });
}

const END_STATUS: Record<string, EndedExecution["status"]> = {
  ExecutionSucceeded: "SUCCEEDED",
  ExecutionFailed: "FAILED",
  ExecutionTimedOut: "TIMED_OUT",
  ExecutionAborted: "ABORTED",
};

function executionEndReporter(report: (execution: EndedExecution) => void) {
  return (event: HistoryEvent, execution: ExecutionReference): void => {
    const status = event.type ? END_STATUS[event.type] : undefined;
    if (!status) return;
    const error = event.executionFailedEventDetails?.error ?? event.executionAbortedEventDetails?.error;
    report({
      stateMachineName: execution.stateMachineArn.split(":").at(-1) ?? execution.stateMachineArn,
      executionName: execution.name,
      executionArn: execution.executionArn,
      status,
      ...(error ? { error } : {}),
    });
  };
}
