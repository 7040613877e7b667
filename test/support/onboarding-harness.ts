// Runs the synthesized Onboarding state machine on the local engine against DynamoDB Local, the local Secrets
// Manager endpoint and the portal simulator over HTTP, capturing every history event and log line.
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { DescribeExecutionOutput, HistoryEvent } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { PortalCredentials } from "../../functions/portal/portal-types.js";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { buildApp } from "../../lib/build-app.js";
import { PROJECT_ROOT } from "../../lib/handler-function.js";
import type { LocalDenial } from "../../local/authorization/local-authorization.js";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "../../local/aws-json-endpoint.js";
import { LOCAL_CREDENTIALS, localDynamoDbClient } from "../../local/dynamodb-local.js";
import type { LocalEventBus } from "../../local/event-bus/local-event-bus.js";
import type { LocalStreamSources } from "../../local/event-bus/stream-event-sources.js";
import { type ExecutionStatusDelivery, ExecutionStatusEvents } from "../../local/execution-status-events.js";
import { LocalSecretStore } from "../../local/local-secret-store.js";
import { type PortalSimulator, startPortalSimulator } from "../../local/portal-simulator.js";
import { synthesizeTemplates } from "../../local/synthesize.js";
import { LocalWorkflowEngine } from "../../local/workflow-engine.js";
import { startHarnessEventDelivery } from "./event-delivery.js";
import { startHarnessEnforcement } from "./harness-enforcement.js";
import { createTestPracticeTable } from "./practice-table.js";
import { custodyKeyArnOf, stackKeyCipher } from "./test-key-cipher.js";
import { putTestFingerprintSecret, testFingerprinter } from "./test-key-custody.js";

export const PORTAL_SECRET_NAME = "practice-onboarding/portal-credentials";
/** The Task that labels the key, then records the practice ACTIVE: `failRecordWith` fails its record part. */
const LABEL_AND_RECORD_ENTRY = "functions/onboarding/onboarding-label-and-record.ts";

export interface OnboardingHarnessOptions {
  /** PORTAL_MAX_RPS for the functions. */
  readonly maxRps: number;
  /** A portal running elsewhere (e.g. the simulator in its own process) instead of an in-process simulator. */
  readonly externalPortal?: { readonly url: string; readonly credentials: PortalCredentials };
  /** Deliver ended executions' status changes to the claim release, as EventBridge would. @default false */
  readonly releaseClaims?: boolean;
  /** Enforce the template's IAM and KMS policies on the functions' calls (test/support/harness-enforcement.ts). @default true */
  readonly iam?: boolean;
  /** Builds the app to synthesize (e.g. the stack with one grant removed). @default buildApp */
  readonly buildApp?: typeof buildApp;
}

export interface OnboardingHarness {
  readonly engine: LocalWorkflowEngine;
  /** The in-process simulator; undefined with `externalPortal`. */
  readonly simulator: PortalSimulator | undefined;
  readonly store: PracticeStore;
  readonly secrets: LocalSecretStore;
  readonly stateMachineArn: string;
  /** Every history event of every execution, as appended. */
  readonly events: HistoryEvent[];
  /** Everything written to stdout/stderr while the harness ran (Powertools logs and metrics). */
  readonly output: string[];
  /** Where domain events arrive (the outbox delivery puts them on the local bus, which writes them), one envelope per line. */
  readonly eventsFile: string;
  /** The table stream's consumers; `run()` drains them, so an ended execution's events are in `eventsFile`. */
  readonly streams: LocalStreamSources;
  /** The local bus the delivery puts events on (faults can be injected). */
  readonly eventBus: LocalEventBus;
  /** With `releaseClaims`: the status change deliveries so far, in order. */
  readonly deliveries: ExecutionStatusDelivery[];
  /** With `releaseClaims`: resolves once every delivery scheduled so far has finished and its events arrived. */
  deliveriesSettled(): Promise<void>;
  /** Calls the template's policies refused (empty when every grant is there). */
  readonly denials: readonly LocalDenial[];
  /**
   * When set, the label-and-record step's record part (its `markActive` transaction) throws it instead of
   * writing: the PUT has labeled the key by then.
   */
  failRecordWith: Error | undefined;
  /**
   * Refuses the next `times` KMS requests of `action` (`Decrypt`, `Encrypt`) as KMS refuses a request over its
   * quota: HTTP 400 `ThrottlingException`, which the SDK retries before the function sees it.
   */
  throttleKms(action: string, times: number): void;
  /** Starts an execution and resolves with its final description. */
  run(input: unknown, name?: string): Promise<DescribeExecutionOutput & { name: string }>;
  close(): Promise<void>;
}

let sequence = 0;

export async function startOnboardingHarness(options: OnboardingHarnessOptions): Promise<OnboardingHarness> {
  const output: string[] = [];
  const restoreOutput = captureOutput(output);
  const table = await createTestPracticeTable();
  const simulator = options.externalPortal ? undefined : await startPortalSimulator();
  const portal = options.externalPortal ?? { url: simulator!.url, credentials: simulator!.credentials };
  const templates = synthesizeTemplates(options.buildApp ?? buildApp);
  const tableLogicalId = Object.entries(templates[0]!.template.Resources ?? {}).find(
    ([, r]) => r.Type === "AWS::DynamoDB::Table",
  )![0];
  const events: HistoryEvent[] = [];
  const eventsFile = path.join(mkdtempSync(path.join(tmpdir(), "onboarding-events-")), "events.jsonl");
  const harness = {} as { failRecordWith: Error | undefined };
  let statusEvents: ExecutionStatusEvents | undefined;
  const deliveries: ExecutionStatusDelivery[] = [];
  const loadHandlerModule = async (entry: string) => {
    const url = pathToFileURL(path.resolve(PROJECT_ROOT, entry)).href;
    const module = (await import(/* @vite-ignore */ url)) as {
      handler: (e: unknown, c: unknown) => unknown;
    };
    if (entry !== LABEL_AND_RECORD_ENTRY) return module;
    return {
      handler: (event: unknown, context: unknown) =>
        inLabelAndRecord.run(true, () => module.handler(event, context)),
    };
  };
  // The handlers run in this process on this PracticeStore class: its record write fails only inside the
  // label-and-record Task (reconciliation's repair marks practices ACTIVE too).
  const inLabelAndRecord = new AsyncLocalStorage<boolean>();
  const markActive = PracticeStore.prototype.markActive;
  PracticeStore.prototype.markActive = function (this: PracticeStore, ...args) {
    if (harness.failRecordWith && inLabelAndRecord.getStore()) return Promise.reject(harness.failRecordWith);
    return markActive.apply(this, args);
  };
  const resourceNames = { [tableLogicalId]: table.tableName };
  const enforcement = await startHarnessEnforcement({
    templates,
    resourceNames,
    dynamoDbLocalEndpoint: table.endpoint,
    ...(options.iam === false ? { iam: false } : {}),
  });
  const kmsThrottles = new Map<string, number>();
  const authorize = enforcement.endpointOptions.authorize;
  const throttlingAuthorize: typeof authorize = (target, body, headers) => {
    const left = kmsThrottles.get(target) ?? 0;
    if (left > 0) {
      kmsThrottles.set(target, left - 1);
      return { statusCode: 400, errorType: "ThrottlingException", message: "Rate exceeded" };
    }
    return authorize?.(target, body, headers);
  };
  const engine = new LocalWorkflowEngine({
    templates,
    resourceNames,
    retryIntervalOverrides: 0,
    environment: {
      OPEN_DENTAL_BASE_URL: portal.url,
      PORTAL_MAX_RPS: String(options.maxRps),
      AWS_ENDPOINT_URL_DYNAMODB: enforcement.dynamoDbEndpoint,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: "DEBUG",
    },
    onEvent: (event, execution) => {
      events.push(event);
      statusEvents?.onHistoryEvent(event, execution);
    },
    loadHandlerModule,
  });
  if (options.releaseClaims) {
    statusEvents = new ExecutionStatusEvents({
      templates,
      functions: engine.app.functions,
      resourceNames,
      describeEnded: (executionArn) => engine.waitForExecution(executionArn),
      loadHandlerModule,
      onDelivery: (delivery) => deliveries.push(delivery),
      // Lambda's two retries, without its minutes of waiting (as the engine's retries here).
      retryDelaysMs: [0, 0],
    });
  }
  const secrets = LocalSecretStore.fromTemplates(templates);
  secrets.putSecretValue(PORTAL_SECRET_NAME, JSON.stringify(portal.credentials));
  putTestFingerprintSecret(templates, secrets);
  const delivery = await startHarnessEventDelivery({
    templates,
    resourceNames,
    functions: engine.app.functions,
    dynamoDbEndpoint: table.endpoint,
    eventsFile,
  });
  const { eventBus, streams } = delivery;
  const endpoint: LocalAwsEndpoint = await startLocalAwsEndpoint({
    engine,
    secrets,
    ...enforcement.endpointOptions,
    authorize: throttlingAuthorize,
    services: [eventBus.service, ...(enforcement.endpointOptions.services ?? [])],
  });
  // The handlers build their SDK clients on first use, so the endpoint only has to be known by then.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint.url;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = endpoint.url;
  process.env.AWS_ENDPOINT_URL_KMS = endpoint.url;

  const store = new PracticeStore({
    client: DynamoDBDocumentClient.from(localDynamoDbClient(table.endpoint)),
    tableName: table.tableName,
    fingerprint: testFingerprinter,
    // The harness's own KMS: what this store encrypts the functions open, and the other way round.
    keyCipher: stackKeyCipher({ endpoint: endpoint.url, custodyKeyArn: custodyKeyArnOf(templates) }),
  });
  const stateMachineArn = engine
    .stateMachines()
    .find((sm) => sm.logicalId.startsWith("OnboardingStateMachine"))!.stateMachineArn;

  return Object.assign(harness, {
    engine,
    simulator,
    store,
    secrets,
    stateMachineArn,
    events,
    output,
    eventsFile,
    streams,
    eventBus,
    failRecordWith: undefined,
    throttleKms(action: string, times: number) {
      kmsThrottles.set(`TrentService.${action}`, times);
    },
    denials: enforcement.denials,
    deliveries,
    async deliveriesSettled() {
      await statusEvents?.idle();
      // The claim release's outcome events arrive through the outbox.
      await streams.drain();
    },
    async run(input: unknown, name = `exec-${++sequence}`) {
      const { executionArn } = await engine.startExecution({
        stateMachineArn,
        name,
        input: JSON.stringify(input),
      });
      const ended = await engine.waitForExecution(executionArn);
      await statusEvents?.idle();
      await streams.drain();
      return { ...ended, name };
    },
    async close() {
      await statusEvents?.close();
      await delivery.close();
      await engine.close();
      await endpoint.close();
      await enforcement.close();
      await simulator?.stop();
      delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
      delete process.env.AWS_ENDPOINT_URL_KMS;
      PracticeStore.prototype.markActive = markActive;
      restoreOutput();
    },
  });
}

/** Tees process.stdout/stderr into `lines` (and nowhere else: metrics and debug logs would flood the run). */
function captureOutput(lines: string[]): () => void {
  const original = { out: process.stdout.write, err: process.stderr.write };
  const capture = (chunk: unknown, ...rest: unknown[]) => {
    lines.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  return () => {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  };
}
