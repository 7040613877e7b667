// runChaos: a fresh local stack, a seeded storm of webhooks and offboardings against a faulty portal, then
// reconciliation with repair, then every invariant of docs/architecture.md §4 checked and the figures counted.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { kmsKeyCipher } from "../../functions/key-custody/key-cipher.js";
import { fingerprintCustomerKey } from "../../functions/key-custody/key-fingerprint.js";
import { readRunCandidates, releaseCandidateKey } from "../../functions/practice/candidate-keys.js";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { fingerprintOf, type PracticeTable } from "../../functions/practice/practice-table.js";
import { LOCAL_CREDENTIALS, localDynamoDbClient } from "../../local/dynamodb-local.js";
import { readEventsFile } from "../../local/events-file.js";
import { findFreePort } from "../../local/free-port.js";
import { localFingerprintSecret } from "../../local/local-key-custody.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import { NO_FAULTS } from "../../local/portal-simulator-faults.js";
import { scanTableForKeys, type TableKeyScan } from "../../local/table-key-scan.js";
import { driveChaos } from "./chaos-driver.js";
import { type ChaosEvidence, collectEvidence, waitForQuiet } from "./chaos-evidence.js";
import { type ChaosFigures, computeFigures, type OperatorDecisions } from "./chaos-figures.js";
import {
  checkInvariants,
  type InvariantResult,
  type ReconciliationOutcome,
  type StateMachineArns,
} from "./chaos-invariants.js";
import { type ChaosOptions, validateChaosOptions } from "./chaos-options.js";
import { type ChaosPlan, foreignKeys, planChaos } from "./chaos-plan.js";
import { captureOutput } from "./output-capture.js";
import { runSecrets, type ScannedText, scanForSecrets } from "./secret-scan.js";

export interface ChaosResult {
  readonly seed: number;
  readonly options: ChaosOptions;
  readonly outageAtMs: number;
  readonly wallMs: number;
  readonly phasesMs: Readonly<Record<string, number>>;
  readonly figures: ChaosFigures;
  readonly invariants: InvariantResult[];
  readonly reconciliation: ReconciliationOutcome;
  /** What the leak scan read, so a clean scan can be told from an empty one. */
  readonly scanned: {
    /** JSON lines the functions logged (Powertools logs and EMF metrics). */
    readonly logLines: number;
    /** PutEvents entries the local bus refused (injected faults) and accepted. */
    readonly busRefusedEntries: number;
    readonly busAcceptedEntries: number;
    readonly domainEvents: number;
    readonly executionHistories: number;
  };
  /**
   * Issue 15: every item, attribute and index of the table scanned at the end for every key the portal ever
   * issued (and any 8-character run of one): the table holds keys only as ciphertexts.
   */
  readonly keysAtRest: TableKeyScan;
  /** True when no invariant FAILED. */
  readonly passed: boolean;
}

/** Reconciliation acts on drift older than this: 0, since the run is over when it starts. */
const RECONCILIATION_INPUT = { repair: true, graceMinutes: 0 };

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  validateChaosOptions(options);
  const plan = planChaos(options);
  const started = Date.now();
  const phasesMs: Record<string, number> = {};
  let phaseStart = started;
  const phase = (name: string) => {
    const now = Date.now();
    phasesMs[name] = now - phaseStart;
    phaseStart = now;
  };
  const capture = captureOutput();
  const log = (line: string) =>
    capture.passThrough(() =>
      options.log?.(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`),
    );
  const stateDir = mkdtempSync(path.join(tmpdir(), "chaos-"));
  let stack: LocalStack | undefined;
  let documents: DynamoDBDocumentClient | undefined;
  let kms: KMSClient | undefined;
  try {
    stack = await startLocalStack({
      config: { port: await findFreePort(), portalMaxRps: options.portalMaxRps },
      stateDir,
      retryIntervalOverrides: options.retryIntervalMs,
      simulator: {
        random: options.seed,
        seedKeys: foreignKeys(plan).map((k) => ({ ...k })),
        maxRequestsPerSecond: options.portalMaxRps,
        faults: options.faults,
      },
      log,
    });
    const simulator = stack.simulator!;
    const outputs = stack.endpoints.outputs;
    const arns: StateMachineArns = {
      onboarding: outputs[STACK_OUTPUTS.onboarding]!,
      offboarding: outputs[STACK_OUTPUTS.offboarding]!,
      ...(outputs[STACK_OUTPUTS.reconciliation]
        ? { reconciliation: outputs[STACK_OUTPUTS.reconciliation] }
        : {}),
    };
    documents = DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamoDbEndpoint), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const fingerprintSecret = new TextEncoder().encode(localFingerprintSecret(stateDir));
    // The local stack's fingerprint secret (local/local-key-custody.ts): the evidence finds ledger entries by it,
    // and the operator's release addresses a key by it, as `ops release-key` does.
    const fingerprint = async (customerKey: string) => fingerprintCustomerKey(customerKey, fingerprintSecret);
    // The evidence opens practices' keys for the invariant checks, as the local administrator (not evaluated).
    kms = new KMSClient({
      endpoint: stack.endpoints.awsEndpoint,
      region: stack.endpoints.region,
      credentials: LOCAL_CREDENTIALS,
    });
    const store = new PracticeStore({
      client: documents,
      tableName: outputs[STACK_OUTPUTS.tableName]!,
      fingerprint,
      keyCipher: kmsKeyCipher({ kms, keyId: outputs[STACK_OUTPUTS.keyCustodyKey]! }),
    });
    phase("start the local stack");

    log(
      `driving: ${plan.deliveries.length} deliveries over ${(Math.max(...plan.deliveries.map((d) => d.atMs)) / 1000).toFixed(1)} s`,
    );
    // EventBridge refusing a share of PutEvents entries for a while (issue 17): the outbox retries them.
    if (options.eventBusRejectFraction > 0)
      stack.eventBus.setFaults({
        rejectFraction: options.eventBusRejectFraction,
        until: Date.now() + options.eventBusFaultMs,
      });
    const drive = await driveChaos({ stack, store, options, plan, log });
    await waitForQuiet(stack.engine);
    // Claims of executions that ended without compensating are released after they end: wait for that too.
    await stack.executionStatusEvents.idle();
    phase("deliveries, offboardings, returning practices");

    // Issue 14: as operations runs it — the scheduled report-only run lists the lost-POST candidates; the operator
    // releases the ones made by hand (`ops release-key`, through the same functions); then the repair runs. A
    // repair without that review would take same-day hand-made keys for ours whenever the unknown POST outcomes
    // (5xx, outage) are as many as the candidates: see the README's reliability section.
    let reconciliation = await reconcile(stack, arns, options, log, "chaos-reconciliation-report", false);
    const operator = reconciliation.ran
      ? await releaseHandMadeCandidates(
          { client: documents, tableName: outputs[STACK_OUTPUTS.tableName]!, fingerprint },
          plan,
          "chaos-reconciliation-report",
          log,
        )
      : undefined;
    if (reconciliation.ran)
      reconciliation = await reconcile(stack, arns, options, log, "chaos-reconciliation", true);
    phase("reconciliation: report, operator releases, repair");

    await stack.executionStatusEvents.idle();
    // Every recorded outcome's event is delivered from the table's stream: wait for the last of them (the bus's
    // faults are over by now, or end while the delivery retries).
    stack.eventBus.setFaults({});
    await stack.streamSources.drain(120_000);
    const evidence = await collectEvidence({ engine: stack.engine, store, simulator });
    const output = capture.text();
    const logLines = output.split("\n").filter((line) => line.startsWith("{"));
    const leaks = scanForSecrets(
      leakScanTexts(evidence, drive, output, stack.endpoints.eventsFile),
      runSecrets({
        customerKeys: evidence.keys.map((k) => k.CustomerKey),
        developerKey: stack.portalCredentials.developerKey,
        developerPortalKey: stack.portalCredentials.developerPortalKey,
        webhookSecret: stack.webhookSecret,
      }),
    );
    const keysAtRest = await scanTableForKeys(
      localDynamoDbClient(stack.endpoints.dynamoDbEndpoint),
      outputs[STACK_OUTPUTS.tableName]!,
      evidence.keys.map((k) => k.CustomerKey),
    );
    const events = readEventsFile(stack.endpoints.eventsFile);
    const invariants = checkInvariants({ evidence, plan, drive, arns, reconciliation, leaks, events });
    const figures = computeFigures({
      evidence,
      plan,
      drive,
      arns,
      invariants,
      leaks,
      reconciliation,
      ...(operator ? { operator } : {}),
    });
    phase("checks");
    return {
      seed: options.seed,
      options,
      outageAtMs: plan.outageAtMs,
      wallMs: Date.now() - started,
      phasesMs,
      figures,
      invariants,
      reconciliation,
      scanned: {
        logLines: logLines.length,
        busRefusedEntries: stack.eventBus.stats().refused,
        busAcceptedEntries: stack.eventBus.stats().accepted,
        domainEvents: events.length,
        executionHistories: evidence.executions.length,
      },
      keysAtRest,
      passed: invariants.every((i) => i.status !== "FAIL"),
    };
  } finally {
    documents?.destroy();
    kms?.destroy();
    await stack?.stop();
    capture.restore();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** `ops candidates` then `ops release-key` for every hand-made key listed, through the same functions. */
async function releaseHandMadeCandidates(
  table: PracticeTable,
  plan: ChaosPlan,
  runId: string,
  log: (line: string) => void,
): Promise<OperatorDecisions> {
  // Told by fingerprint: the run stores candidates' keys as ciphertexts the operator cannot open (§4).
  const handMade = new Set<string>();
  for (const key of plan.handMadeKeys) handMade.add(await fingerprintOf(table, key.CustomerKey));
  const candidates = await readRunCandidates(table, runId);
  let released = 0;
  for (const candidate of candidates) {
    if (!handMade.has(candidate.keyFingerprint) || candidate.decision.kind !== "undecided") continue;
    await releaseCandidateKey(table, {
      keyFingerprint: candidate.keyFingerprint,
      maskedKey: candidate.maskedKey,
      runId,
      actor: "ops:chaos-operator",
      reason: "made by hand in the Developer Portal (chaos plan)",
      now: new Date(),
    });
    released += 1;
  }
  log(`operator: ${candidates.length} lost-POST candidate(s) listed, ${released} made by hand released`);
  return { candidates: candidates.length, released };
}

async function reconcile(
  stack: LocalStack,
  arns: StateMachineArns,
  options: ChaosOptions,
  log: (line: string) => void,
  name: string,
  repair: boolean,
): Promise<ReconciliationOutcome> {
  if (!arns.reconciliation) {
    const note = `the stack has no ${STACK_OUTPUTS.reconciliation} output: reconciliation has not landed on this branch`;
    log(`reconciliation skipped: ${note}`);
    return { ran: false, note };
  }
  // "The next reconciliation": the incident is over; its own faults are not what this run is about.
  if (!options.reconcileWithFaults) {
    stack.simulator!.setFaults({ ...NO_FAULTS });
    stack.simulator!.clearQueuedFaults();
  }
  const input = { ...RECONCILIATION_INPUT, repair };
  log(`reconciliation ${repair ? "with repair" : "report only"}: ${JSON.stringify(input)}`);
  const { executionArn } = await stack.engine.startExecution({
    stateMachineArn: arns.reconciliation,
    name,
    input: JSON.stringify(input),
  });
  const described = await stack.engine.waitForExecution(executionArn);
  const note =
    described.status === "SUCCEEDED"
      ? "SUCCEEDED"
      : `${described.status}: ${described.error ?? ""} ${(described.cause ?? "").slice(0, 300)}`;
  log(`reconciliation ${note}`);
  let output: unknown;
  try {
    output = described.output === undefined ? undefined : JSON.parse(described.output);
  } catch {
    output = described.output;
  }
  return { ran: true, note, status: described.status ?? "UNKNOWN", executionArn, output };
}

/** Everything the system wrote or answered that must not hold a full secret. The table's own key fields are not. */
function leakScanTexts(
  evidence: ChaosEvidence,
  drive: Awaited<ReturnType<typeof driveChaos>>,
  output: string,
  eventsFile: string,
): ScannedText[] {
  const texts: ScannedText[] = [{ source: "stdout/stderr", text: output }];
  for (const execution of evidence.executions)
    texts.push({
      source: `history ${execution.description.name}`,
      text: JSON.stringify([execution.description, execution.events]),
    });
  if (existsSync(eventsFile)) texts.push({ source: "events.jsonl", text: readFileSync(eventsFile, "utf8") });
  for (const [practiceId, entries] of evidence.audit)
    texts.push({ source: `audit ${practiceId}`, text: JSON.stringify(entries) });
  for (const [practiceId, attempts] of evidence.attempts)
    texts.push({ source: `create attempts ${practiceId}`, text: JSON.stringify(attempts) });
  for (const practice of evidence.practices) {
    const { customerKey: _k, previousCustomerKey: _p, ...shown } = practice;
    texts.push({
      source: `practice record ${practice.practiceId} (key fields excluded)`,
      text: JSON.stringify(shown),
    });
  }
  texts.push({
    source: "webhook answers",
    text: JSON.stringify([
      ...drive.deliveries.map((d) => d.responseText),
      ...drive.badDeliveries.map((d) => d.responseText),
    ]),
  });
  texts.push({ source: "Step Functions API answers", text: JSON.stringify(drive.apiAnswers) });
  return texts;
}
