// The local stack as the benchmark drives it: started in-process, with recording proxies in front of DynamoDB
// Local, the local AWS endpoint (Secrets Manager, Step Functions) and the portal simulator, so every request the
// handlers make is counted as it happens on the wire. The throughput phase runs the simulator in a process of its
// own instead (simulatorProcess), as the portal runs on its own machine.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { type App, Stack } from "aws-cdk-lib";
import { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { buildApp } from "../lib/build-app.js";
import { findFreePort } from "../local/free-port.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../local/local-stack.js";
import type { PortalSimulator } from "../local/portal-simulator.js";
import { type SimulatorControl, simulatorControl } from "../local/portal-simulator-control.js";
import { sendCrmDelivery } from "../local/signed-webhook.js";
import {
  SIMULATOR_PROCESS_CREDENTIALS,
  type SimulatorProcess,
  startSimulatorProcess,
} from "../local/simulator-process.js";
import { requestConsumedCapacity } from "./dynamodb-traffic.js";
import { type RecordingProxy, startRecordingProxy } from "./recording-proxy.js";

/** What Lambda bills a function by, read from the synthesized app. */
export interface FunctionProfile {
  readonly logicalId: string;
  readonly memoryMb: number;
  readonly architecture: "arm64" | "x86_64";
}

export interface BenchStackOptions {
  /** PORTAL_MAX_RPS for the functions (their shared rate limiter). */
  readonly portalMaxRps: number;
  /** The simulator's own limit (429 above it). @default none */
  readonly simulatorMaxRps?: number;
  /**
   * Put the handlers' DynamoDB, AWS and portal requests through the recording proxies (what sections 1, 2 and 4
   * count). The throughput phase counts at the simulator alone and leaves them out: on this one-threaded local
   * stack every proxied request costs the engine's own thread a second HTTP hop. @default true
   */
  readonly recordRequests?: boolean;
  /**
   * Run the simulator in a process of its own (bin/simulator.ts) rather than in this one, as the portal runs on
   * its own machine: the times it takes arrivals at are then not skewed by the engine's busy thread, and its work
   * does not compete with it. Read it through `simulatorControl`; `simulator` is then undefined. @default false
   */
  readonly simulatorProcess?: boolean;
  readonly log?: (line: string) => void;
}

export interface WorkflowRun {
  readonly executionArn: string;
  readonly status: string;
  /** Client-side time of the webhook request (the webhook Lambda's duration is at most this). */
  readonly webhookMs: number;
  /** From sending the request (webhook or StartExecution) to the execution's end, as the caller waits for it. */
  readonly totalMs: number;
  readonly events: HistoryEvent[];
}

export interface BenchStack<Simulator extends PortalSimulator | undefined = PortalSimulator> {
  readonly stack: LocalStack;
  /** The in-process simulator (sections 1, 2 and 4); undefined with `simulatorProcess`. */
  readonly simulator: Simulator;
  /** The simulator's control routes over HTTP, wherever it runs. */
  readonly simulatorControl: SimulatorControl;
  readonly dynamoDb: RecordingProxy;
  readonly aws: RecordingProxy;
  readonly portal: RecordingProxy;
  readonly stateMachineArns: {
    readonly onboarding: string;
    readonly offboarding: string;
    readonly reconciliation?: string;
  };
  /** The function a Task state of a state machine invokes. */
  functionForState(stateMachineArn: string, stateName: string): FunctionProfile;
  readonly webhookFunction: FunctionProfile;
  /** The function the table stream's outbox items invoke (lib/domain-event-outbox.ts). */
  readonly outboxDeliveryFunction: FunctionProfile;
  /** Domain events written so far (one PutEvents entry each on AWS). */
  domainEventsWritten(): number;
  /** Waits until every outbox item written so far went through the delivery function to the bus. */
  drainOutbox(): Promise<void>;
  /** One onboarding through the signed webhook, awaited to its end. */
  onboard(practiceId: string, devRefId?: string): Promise<WorkflowRun>;
  /** One offboarding started as the ops CLI starts it (StartExecution), awaited to its end. */
  offboard(practiceId: string): Promise<WorkflowRun>;
  /** Runs a state machine with an input, awaited to its end. */
  execute(stateMachineArn: string, input: unknown, name?: string): Promise<WorkflowRun>;
  stop(): Promise<void>;
}

const PROXIED_VARIABLES = [
  "AWS_ENDPOINT_URL_DYNAMODB",
  "AWS_ENDPOINT_URL_SECRETS_MANAGER",
  "AWS_ENDPOINT_URL_SFN",
  "AWS_ENDPOINT_URL_EVENTBRIDGE",
  "AWS_ENDPOINT_URL_KMS",
  "OPEN_DENTAL_BASE_URL",
] as const;

export function startBenchStack(
  options: BenchStackOptions & { readonly simulatorProcess: true },
): Promise<BenchStack<undefined>>;
export function startBenchStack(
  options: BenchStackOptions & { readonly simulatorProcess?: false },
): Promise<BenchStack>;
export async function startBenchStack(
  options: BenchStackOptions,
): Promise<BenchStack<PortalSimulator | undefined>> {
  let portalProcess: SimulatorProcess | undefined;
  let stateDir: string | undefined;
  try {
    if (options.simulatorProcess) {
      portalProcess = await startSimulatorProcess(
        options.simulatorMaxRps ? ["--rps", String(options.simulatorMaxRps)] : [],
      );
    }
    stateDir = mkdtempSync(path.join(tmpdir(), "bench-stack-"));
    return await startWithPortal(options, stateDir, portalProcess);
  } catch (error) {
    await portalProcess?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}

async function startWithPortal(
  options: BenchStackOptions,
  stateDir: string,
  portalProcess: SimulatorProcess | undefined,
): Promise<BenchStack<PortalSimulator | undefined>> {
  let profiles = new Map<string, FunctionProfile>();
  const stack = await startLocalStack({
    config: {
      port: await findFreePort(),
      portalMaxRps: options.portalMaxRps,
      ...(portalProcess
        ? {
            openDentalBaseUrl: portalProcess.url,
            developerKey: SIMULATOR_PROCESS_CREDENTIALS.developerKey,
            developerPortalKey: SIMULATOR_PROCESS_CREDENTIALS.developerPortalKey,
          }
        : {}),
    },
    stateDir,
    buildApp: (app) => {
      buildApp(app);
      profiles = functionProfiles(app);
    },
    ...(options.simulatorMaxRps && !portalProcess
      ? { simulator: { maxRequestsPerSecond: options.simulatorMaxRps } }
      : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const simulator = stack.simulator;
  if (!simulator && !portalProcess) {
    await stack.stop();
    throw new Error("the benchmark needs the built-in portal simulator (unset OPEN_DENTAL_BASE_URL)");
  }
  const portalSide = portalProcess ?? simulator!;

  const dynamoDb = await startRecordingProxy({
    target: stack.endpoints.dynamoDbEndpoint,
    keepResponses: true,
    rewriteBody: requestConsumedCapacity,
  });
  const aws = await startRecordingProxy({ target: stack.endpoints.awsEndpoint });
  const portal = await startRecordingProxy({ target: portalSide.origin, keepResponses: true });
  // Handlers build their clients and read their configuration on first use, so pointing the standard variables
  // at the proxies now puts every request of every handler through them.
  const saved = Object.fromEntries(PROXIED_VARIABLES.map((name) => [name, process.env[name]]));
  if (options.recordRequests === false) {
    process.env.OPEN_DENTAL_BASE_URL = portalSide.url;
  } else {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.url;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = aws.url;
    process.env.AWS_ENDPOINT_URL_SFN = aws.url;
    // The outbox delivery's PutEvents calls: one per invocation that delivers (what its invocations are counted by).
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = aws.url;
    // Key custody: the custody key's Encrypt (create-key) and Decrypt (label-and-record) calls, priced per request.
    process.env.AWS_ENDPOINT_URL_KMS = aws.url;
    process.env.OPEN_DENTAL_BASE_URL = `${portal.url}${new URL(portalSide.url).pathname}`;
  }

  const outputs = stack.endpoints.outputs;
  const onboarding = requiredOutput(outputs, STACK_OUTPUTS.onboarding);
  const offboarding = requiredOutput(outputs, STACK_OUTPUTS.offboarding);
  const reconciliation = outputs[STACK_OUTPUTS.reconciliation];
  const webhookUrl = requiredOutput(outputs, STACK_OUTPUTS.webhookUrl);
  const { engine } = stack;

  const profileOf = (logicalId: string): FunctionProfile => {
    const profile = profiles.get(logicalId);
    if (!profile) throw new Error(`no Lambda function ${logicalId} in the synthesized app`);
    return profile;
  };
  const webhookEntry = [...engine.app.functions.values()].find((fn) => fn.entry.endsWith("crm-webhook.ts"));
  if (!webhookEntry)
    throw new Error("the synthesized app has no webhook function (functions/webhook/crm-webhook.ts)");
  const outboxEntry = [...engine.app.functions.values()].find((fn) =>
    fn.entry.endsWith("outbox-stream-handler.ts"),
  );
  if (!outboxEntry)
    throw new Error(
      "the synthesized app has no outbox delivery function (functions/domain-events/outbox-stream-handler.ts)",
    );

  const finished = async (executionArn: string, startedAt: number, webhookMs: number) => {
    const description = await engine.waitForExecution(executionArn);
    const totalMs = performance.now() - startedAt;
    return {
      executionArn,
      status: description.status ?? "UNKNOWN",
      webhookMs,
      totalMs,
      events: fullHistory(stack, executionArn),
    };
  };

  const execute = async (stateMachineArn: string, input: unknown, name?: string): Promise<WorkflowRun> => {
    const startedAt = performance.now();
    const { executionArn } = await engine.startExecution({
      stateMachineArn,
      input: JSON.stringify(input),
      ...(name ? { name } : {}),
    });
    return finished(executionArn, startedAt, 0);
  };

  return {
    stack,
    simulator,
    simulatorControl: portalProcess?.control ?? simulatorControl(portalSide.origin),
    dynamoDb,
    aws,
    portal,
    stateMachineArns: { onboarding, offboarding, ...(reconciliation ? { reconciliation } : {}) },
    functionForState(stateMachineArn, stateName) {
      const machine = engine.app.stateMachines.find((m) => m.stateMachineArn === stateMachineArn);
      const binding = machine?.lambdaTasks.get(stateName);
      if (!binding) throw new Error(`state ${stateName} of ${stateMachineArn} invokes no Lambda function`);
      return profileOf(binding.function.logicalId);
    },
    webhookFunction: profileOf(webhookEntry.logicalId),
    outboxDeliveryFunction: profileOf(outboxEntry.logicalId),
    drainOutbox: () => stack.streamSources.drain(),
    domainEventsWritten() {
      try {
        return readFileSync(stack.endpoints.eventsFile, "utf8").split("\n").filter(Boolean).length;
      } catch {
        return 0;
      }
    },
    async onboard(practiceId, devRefId = `Bench ${practiceId}`) {
      const startedAt = performance.now();
      const delivery = await sendCrmDelivery(webhookUrl, stack.webhookSecret, { practiceId, devRefId });
      const webhookMs = performance.now() - startedAt;
      const executionArn = (delivery.body as { executionArn?: string }).executionArn;
      if (delivery.status !== 202 || !executionArn)
        throw new Error(`webhook answered ${delivery.status}: ${JSON.stringify(delivery.body)}`);
      return finished(executionArn, startedAt, webhookMs);
    },
    offboard: (practiceId) =>
      execute(offboarding, { practiceId, reason: "benchmark", requestedBy: "ops:bench" }),
    execute,
    async stop() {
      try {
        await stack.stop();
        await Promise.all([dynamoDb.close(), aws.close(), portal.close()]);
      } finally {
        // The simulator's process goes even when the stack's shutdown failed.
        await portalProcess?.stop();
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  };
}

function requiredOutput(outputs: Readonly<Record<string, string>>, name: string): string {
  const value = outputs[name];
  if (!value) throw new Error(`the local stack has no output ${name}`);
  return value;
}

function fullHistory(stack: LocalStack, executionArn: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = stack.engine.getExecutionHistory(executionArn, {
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Memory and architecture of every Lambda function in the app, by logical id (read before synthesis). */
function functionProfiles(app: App): Map<string, FunctionProfile> {
  const profiles = new Map<string, FunctionProfile>();
  for (const construct of app.node.findAll()) {
    if (!(construct instanceof CfnFunction)) continue;
    const stack = Stack.of(construct);
    const logicalId = stack.resolve(construct.logicalId) as string;
    const memoryMb = Number(stack.resolve(construct.memorySize) ?? 128);
    const architectures = (stack.resolve(construct.architectures) as string[] | undefined) ?? ["x86_64"];
    profiles.set(logicalId, {
      logicalId,
      memoryMb,
      architecture: architectures.includes("arm64") ? "arm64" : "x86_64",
    });
  }
  return profiles;
}
