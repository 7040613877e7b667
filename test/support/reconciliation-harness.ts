// Runs the synthesized Onboarding and Reconciliation state machines on the local engine against DynamoDB Local,
// the local Step Functions / Secrets Manager endpoint (DescribeExecution for STUCK checks) and the portal
// simulator over HTTP, recording every history event so tests can measure state payloads.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescribeExecutionOutput, HistoryEvent } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { ReconciliationStore } from "../../functions/practice/reconciliation-store.js";
import { buildApp } from "../../lib/build-app.js";
import type { LocalDenial } from "../../local/authorization/local-authorization.js";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "../../local/aws-json-endpoint.js";
import { LOCAL_CREDENTIALS, localDynamoDbClient } from "../../local/dynamodb-local.js";
import { LocalSecretStore } from "../../local/local-secret-store.js";
import {
  type PortalSimulator,
  type PortalSimulatorOptions,
  startPortalSimulator,
} from "../../local/portal-simulator.js";
import { synthesizeTemplates } from "../../local/synthesize.js";
import { LocalWorkflowEngine } from "../../local/workflow-engine.js";
import type { ExecutionReference } from "../../local/workflow-execution.js";
import { startHarnessEventDelivery } from "./event-delivery.js";
import { startHarnessEnforcement } from "./harness-enforcement.js";
import { createTestPracticeTable } from "./practice-table.js";
import { custodyKeyArnOf, stackKeyCipher } from "./test-key-cipher.js";
import { putTestFingerprintSecret, testFingerprinter } from "./test-key-custody.js";

export const PORTAL_SECRET_NAME = "practice-onboarding/portal-credentials";

export interface ReconciliationHarnessOptions {
  /** PORTAL_MAX_RPS for the functions. @default 50 */
  readonly maxRps?: number;
  readonly simulator?: PortalSimulatorOptions;
  /** Called with every history event (e.g. to measure payloads without keeping 10,000 runs of them). */
  readonly onEvent?: (event: HistoryEvent, execution: ExecutionReference) => void;
  /** Enforce the template's IAM and KMS policies on the functions' calls (test/support/harness-enforcement.ts). @default true */
  readonly iam?: boolean;
}

export type ExecutionResult = DescribeExecutionOutput & { readonly name: string };

export interface ReconciliationHarness {
  readonly engine: LocalWorkflowEngine;
  /** Where the functions write domain events (the stack's bus is not reachable locally). */
  readonly eventsFile: string;
  readonly simulator: PortalSimulator;
  readonly store: PracticeStore;
  readonly runs: ReconciliationStore;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly onboardingArn: string;
  readonly reconciliationArn: string;
  /** Calls the template's policies refused (empty when every grant is there). */
  readonly denials: readonly LocalDenial[];
  /** Runs an onboarding to its end. */
  onboard(input: unknown, name?: string): Promise<ExecutionResult>;
  /** Runs a reconciliation to its end. */
  reconcile(input?: unknown, name?: string): Promise<ExecutionResult>;
  close(): Promise<void>;
}

let sequence = 0;

export async function startReconciliationHarness(
  options: ReconciliationHarnessOptions = {},
): Promise<ReconciliationHarness> {
  const table = await createTestPracticeTable();
  const simulator = await startPortalSimulator(options.simulator ?? {});
  const templates = synthesizeTemplates(buildApp);
  const tableLogicalId = Object.entries(templates[0]!.template.Resources ?? {}).find(
    ([, r]) => r.Type === "AWS::DynamoDB::Table",
  )![0];
  const eventsFile = join(mkdtempSync(join(tmpdir(), "recon-events-")), "events.jsonl");
  const resourceNames = { [tableLogicalId]: table.tableName };
  const enforcement = await startHarnessEnforcement({
    templates,
    resourceNames,
    dynamoDbLocalEndpoint: table.endpoint,
    ...(options.iam === false ? { iam: false } : {}),
  });
  const engine = new LocalWorkflowEngine({
    templates,
    resourceNames,
    retryIntervalOverrides: 0,
    environment: {
      OPEN_DENTAL_BASE_URL: simulator.url,
      PORTAL_MAX_RPS: String(options.maxRps ?? 50),
      AWS_ENDPOINT_URL_DYNAMODB: enforcement.dynamoDbEndpoint,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "ERROR",
    },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const secrets = LocalSecretStore.fromTemplates(templates);
  secrets.putSecretValue(PORTAL_SECRET_NAME, JSON.stringify(simulator.credentials));
  putTestFingerprintSecret(templates, secrets);
  const delivery = await startHarnessEventDelivery({
    templates,
    resourceNames,
    functions: engine.app.functions,
    dynamoDbEndpoint: table.endpoint,
    eventsFile,
  });
  const endpoint: LocalAwsEndpoint = await startLocalAwsEndpoint({
    engine,
    secrets,
    ...enforcement.endpointOptions,
    services: [delivery.eventBus.service, ...(enforcement.endpointOptions.services ?? [])],
  });
  // The handlers build their SDK clients on first use, so the endpoint only has to be known by then.
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = endpoint.url;
  process.env.AWS_ENDPOINT_URL_SFN = endpoint.url;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = endpoint.url;
  process.env.AWS_ENDPOINT_URL_KMS = endpoint.url;
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(table.endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
  // The harness's own KMS: what these stores encrypt the functions open, and the other way round.
  const keyCipher = stackKeyCipher({ endpoint: endpoint.url, custodyKeyArn: custodyKeyArnOf(templates) });
  const store = new PracticeStore({
    client,
    tableName: table.tableName,
    fingerprint: testFingerprinter,
    keyCipher,
  });
  const runs = new ReconciliationStore({
    client,
    tableName: table.tableName,
    fingerprint: testFingerprinter,
    keyCipher,
  });
  const arnOf = (prefix: string) =>
    engine.stateMachines().find((sm) => sm.logicalId.startsWith(prefix))!.stateMachineArn;
  const onboardingArn = arnOf("OnboardingStateMachine");
  const reconciliationArn = arnOf("ReconciliationStateMachine");

  async function run(stateMachineArn: string, input: unknown, name: string): Promise<ExecutionResult> {
    const { executionArn } = await engine.startExecution({
      stateMachineArn,
      name,
      input: JSON.stringify(input),
    });
    const ended = await engine.waitForExecution(executionArn);
    // Outcomes announce through the outbox: their events are in `eventsFile` once the stream is drained.
    await delivery.streams.drain();
    return { ...ended, name };
  }

  return {
    engine,
    eventsFile,
    simulator,
    store,
    runs,
    client,
    tableName: table.tableName,
    onboardingArn,
    reconciliationArn,
    denials: enforcement.denials,
    onboard: (input, name = `onboard-${++sequence}`) => run(onboardingArn, input, name),
    reconcile: (input = {}, name = `recon-${++sequence}`) => run(reconciliationArn, input, name),
    async close() {
      await delivery.close();
      await engine.close();
      await endpoint.close();
      await enforcement.close();
      await simulator.stop();
      delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      delete process.env.AWS_ENDPOINT_URL_SFN;
      delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
      delete process.env.AWS_ENDPOINT_URL_KMS;
    },
  };
}
