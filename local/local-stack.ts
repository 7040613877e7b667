// The whole system on one machine: the synthesized app's state machines and handler modules on the local engine,
// DynamoDB Local, local Step Functions / Secrets Manager endpoints, the webhook's HTTP API and the portal simulator.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { App } from "aws-cdk-lib";
import { buildApp } from "../lib/build-app.js";
import { PROJECT_ROOT } from "../lib/handler-function.js";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "./aws-json-endpoint.js";
import type { SynthesizedStack } from "./cloudformation-template.js";
import {
  type DynamoDbLocal,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoDbClient,
  startDynamoDbLocal,
} from "./dynamodb-local.js";
import { httpApiRoutes, type LocalHttpApi, startLocalHttpApi } from "./http-api.js";
import type { LocalStackConfig } from "./local-config.js";
import {
  DEFAULT_STATE_DIR,
  ENDPOINTS_FILE,
  isAlive,
  type LocalEndpoints,
  STACK_OUTPUTS,
} from "./local-endpoints.js";
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

// The endpoints contract lives in its own light module so `ops --local` does not load aws-cdk-lib to read it.
export {
  DEFAULT_STATE_DIR,
  ENDPOINTS_FILE,
  type LocalEndpoints,
  readLocalEndpoints,
  STACK_OUTPUTS,
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
}

export interface LocalStack {
  readonly endpoints: LocalEndpoints;
  readonly engine: LocalWorkflowEngine;
  readonly secrets: LocalSecretStore;
  readonly simulator?: PortalSimulator;
  /** The webhook signing secret in use (generated when WEBHOOK_SECRET was not set). */
  readonly webhookSecret: string;
  readonly webhookSecretGenerated: boolean;
  readonly portalCredentials: { developerKey: string; developerPortalKey: string };
  readonly dynamoDbPid: number | undefined;
  stop(): Promise<void>;
}

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
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  mkdirSync(stateDir, { recursive: true });
  const endpointsFile = path.join(stateDir, ENDPOINTS_FILE);
  if (existsSync(endpointsFile)) {
    const previous = JSON.parse(readFileSync(endpointsFile, "utf8")) as LocalEndpoints;
    if (isAlive(previous.pid) && previous.pid !== process.pid)
      throw new LocalStackAlreadyRunning(
        `A local stack is already running (pid ${previous.pid}, webhook ${previous.httpApiUrl}/webhooks/crm). Stop it (Ctrl-C in its terminal, or kill ${previous.pid}) or use it: npm run ops -- --local status <practiceId>`,
      );
  }

  const cleanups: Array<() => Promise<void> | void> = [];
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
    log("Synthesizing the CDK app");
    const templates = synthesizeTemplates(options.buildApp ?? buildApp);

    log(
      config.dataDir
        ? `Starting DynamoDB Local (data in ${config.dataDir})`
        : "Starting DynamoDB Local (in memory)",
    );
    const dynamo: DynamoDbLocal = await startDynamoDbLocal({ dataDir: config.dataDir });
    cleanups.push(() => dynamo.stop());
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
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        LOCAL_EVENTS_FILE: eventsFile,
      },
    });
    cleanups.push(() => engine.close());

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

    const awsEndpoint: LocalAwsEndpoint = await startLocalAwsEndpoint({ engine, secrets });
    cleanups.push(() => awsEndpoint.close());
    // Handlers build their SDK clients on first use; the standard variables point them at the local endpoint.
    process.env.AWS_ENDPOINT_URL_SFN = awsEndpoint.url;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = awsEndpoint.url;

    log(`Serving the HTTP API on port ${config.port}`);
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
          `Port ${config.port} is already in use (another npm start, or another program): set LOCAL_PORT to a free port`,
        );
      throw error;
    }
    cleanups.push(() => httpApi.close());
    outputs[STACK_OUTPUTS.webhookUrl] = `${httpApi.url}/webhooks/crm`;
    outputs[STACK_OUTPUTS.portalBaseUrl] = portalBaseUrl;

    const reconciliationArn = outputs[STACK_OUTPUTS.reconciliation];
    if (options.reconcileEveryMs && reconciliationArn) {
      const timer = setInterval(() => {
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
      startedAt: new Date().toISOString(),
      region: LOCAL_REGION,
      httpApiUrl: httpApi.url,
      awsEndpoint: awsEndpoint.url,
      dynamoDbEndpoint: dynamo.endpoint,
      portalBaseUrl,
      simulatorOrigin: simulator?.origin ?? null,
      outputs,
      eventsFile,
    };
    writeFileSync(endpointsFile, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    cleanups.unshift(() => rmSync(endpointsFile, { force: true }));

    return {
      endpoints,
      engine,
      secrets,
      ...(simulator ? { simulator } : {}),
      webhookSecret,
      webhookSecretGenerated: config.webhookSecret === undefined,
      portalCredentials,
      dynamoDbPid: dynamo.pid,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
