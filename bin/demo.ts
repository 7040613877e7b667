// `npm run demo`: a scripted tour of the whole system on a fresh local stack — onboarding through signed webhooks
// (a duplicate delivery, a concurrent pair), offboarding, an injected fault, drift, reconciliation with repair —
// printing what happened after each step. Exits 0 only if every expected outcome happened.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { DescribeExecutionOutput } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Command } from "commander";
import { fingerprintCustomerKey } from "../functions/key-custody/key-fingerprint.js";
import { PracticeStore } from "../functions/practice/practice-store.js";
import { localDynamoDbClient } from "../local/dynamodb-local.js";
import { readEventsFile } from "../local/events-file.js";
import { captureFunctionOutput } from "../local/function-output.js";
import { localFingerprintSecret } from "../local/local-key-custody.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../local/local-stack.js";
import type { PortalSimulator } from "../local/portal-simulator.js";
import {
  formatSnapshots,
  formatTable,
  type PracticeSnapshot,
  practiceSnapshot,
} from "../local/practice-snapshot.js";
import { runOpsLocal } from "../local/run-ops.js";
import { type DeliveryResponse, sendCrmDelivery } from "../local/signed-webhook.js";
import { scanTableForKeys } from "../local/table-key-scan.js";

interface DemoPractice {
  readonly practiceId: string;
  readonly devRefId: string;
}

const PRACTICES: readonly DemoPractice[] = [
  { practiceId: "demo-001", devRefId: "Bright Smiles Dental" },
  { practiceId: "demo-002", devRefId: "Harbor Family Dentistry" },
  { practiceId: "demo-003", devRefId: "Sarah's Super Dental" },
  { practiceId: "demo-004", devRefId: "Lakeside Orthodontics" },
  { practiceId: "demo-005", devRefId: "Pine Street Dental" },
];
const practice = (id: string) => PRACTICES.find((p) => p.practiceId === id)!;

/** The reconciliation execution's output (the fields the demo checks). */
interface ReconciliationOutcome {
  readonly counts?: Record<string, number>;
  readonly repairs?: { planned: number; done: number; failed: number };
  readonly needingAttention?: number;
}

interface Check {
  readonly step: string;
  readonly description: string;
  readonly ok: boolean;
  readonly detail?: string;
}

const checks: Check[] = [];
let currentStep = "";
let print: (text: string) => void = (text) => void process.stdout.write(text);

function check(description: string, ok: boolean, detail?: string): void {
  checks.push({ step: currentStep, description, ok, ...(detail ? { detail } : {}) });
  print(`  ${ok ? "✓" : "✗"} ${description}${!ok && detail ? `  — ${detail}` : ""}\n`);
}

function step(title: string): void {
  currentStep = title;
  print(`\n${title}\n`);
}

class Demo {
  /** Waits until every outcome recorded so far has had its event delivered from the table's stream. */
  eventsDelivered(): Promise<void> {
    return this.stack.streamSources.drain();
  }

  private readonly store: PracticeStore;
  private readonly webhookUrl: string;

  /** The local stack's keyed fingerprint of a portal key: records name their key by it (§4 invariant 13). */
  private readonly fingerprintOf: (customerKey: string) => string;

  constructor(
    private readonly stack: LocalStack,
    private readonly simulator: PortalSimulator,
    stateDir: string,
  ) {
    const client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamoDbEndpoint));
    this.store = new PracticeStore({ client, tableName: stack.endpoints.outputs[STACK_OUTPUTS.tableName]! });
    this.webhookUrl = stack.endpoints.outputs[STACK_OUTPUTS.webhookUrl]!;
    const secret = new TextEncoder().encode(localFingerprintSecret(stateDir));
    this.fingerprintOf = (customerKey) => fingerprintCustomerKey(customerKey, secret);
  }

  deliver(practiceId: string, webhookId?: string): Promise<DeliveryResponse> {
    return sendCrmDelivery(this.webhookUrl, this.stack.webhookSecret, {
      practiceId,
      devRefId: practice(practiceId).devRefId,
      ...(webhookId ? { webhookId } : {}),
    });
  }

  async finished(response: DeliveryResponse): Promise<DescribeExecutionOutput | undefined> {
    const arn = (response.body as { executionArn?: string } | undefined)?.executionArn;
    return arn ? this.stack.engine.waitForExecution(arn) : undefined;
  }

  async snapshot(practiceId: string): Promise<PracticeSnapshot> {
    const { devRefId } = practice(practiceId);
    return practiceSnapshot(
      practiceId,
      devRefId,
      await this.store.getPractice(practiceId),
      this.simulator.keys(),
      this.fingerprintOf,
    );
  }

  get dynamoDbEndpoint(): string {
    return this.stack.endpoints.dynamoDbEndpoint;
  }

  get tableName(): string {
    return this.stack.endpoints.outputs[STACK_OUTPUTS.tableName]!;
  }

  /** The practice's key as the table stores it (a ciphertext: never printed). */
  async storedKey(practiceId: string): Promise<string | undefined> {
    return (await this.store.getPractice(practiceId))?.customerKey;
  }

  async table(practiceIds: readonly string[]): Promise<void> {
    const rows = await Promise.all(practiceIds.map((id) => this.snapshot(id)));
    print(`\n${formatSnapshots(rows)}\n`);
  }

  /** A change made by hand in the portal (as a person in the Developer Portal would), through its API. */
  async changeInPortal(
    practiceId: string,
    change: { KeyStatus?: string; DevRefId?: string },
  ): Promise<number> {
    const record = await this.store.getPractice(practiceId);
    // The person at the portal sees the key itself; the record holds only its ciphertext and fingerprint.
    const portalKey = this.simulator
      .keys()
      .find((key) => this.fingerprintOf(key.CustomerKey) === record?.keyFingerprint);
    const { developerKey, developerPortalKey } = this.simulator.credentials;
    const response = await fetch(`${this.simulator.url}/apikeys`, {
      method: "PUT",
      headers: {
        Authorization: `ODFHIR ${developerKey}/${developerPortalKey}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ CustomerKey: portalKey?.CustomerKey, ...change }),
    });
    await response.body?.cancel();
    return response.status;
  }

  /** Expects the practice's table status, portal status and label; the table row is the detail on failure. */
  async expectPractice(
    practiceId: string,
    expected: { status: string; portalStatus: string; label?: string },
  ): Promise<PracticeSnapshot> {
    const row = await this.snapshot(practiceId);
    const label = expected.label ?? practice(practiceId).devRefId;
    check(
      `${practiceId} is ${expected.status}, its key ${expected.portalStatus} in the portal, labeled "${label}"`,
      row.status === expected.status && row.portalStatus === expected.portalStatus && row.label === label,
      `got ${row.status}, ${row.portalStatus}, "${row.label}"`,
    );
    return row;
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}\n`)
    .join("");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function scenario(demo: Demo, simulator: PortalSimulator, stateDir: string): Promise<void> {
  step("1. Three practices signed: the CRM sends one signed webhook each");
  const first = await Promise.all(["demo-001", "demo-002", "demo-003"].map((id) => demo.deliver(id)));
  check(
    "each delivery is accepted (202) with an execution",
    first.every((r) => r.status === 202),
    first.map((r) => r.status).join(", "),
  );
  const executions = await Promise.all(first.map((r) => demo.finished(r)));
  check(
    "each onboarding execution SUCCEEDED",
    executions.every((e) => e?.status === "SUCCEEDED"),
    executions.map((e) => e?.status).join(", "),
  );
  for (const id of ["demo-001", "demo-002", "demo-003"])
    await demo.expectPractice(id, { status: "ACTIVE", portalStatus: "Enabled" });
  await demo.table(["demo-001", "demo-002", "demo-003"]);

  step("2. The CRM redelivers demo-001's webhook (same webhook-id)");
  const redelivery = await demo.deliver("demo-001", first[0]!.webhookId);
  const again = redelivery.body as { executionArn?: string; duplicate?: boolean };
  check(
    "the redelivery is answered 200 with the same execution, marked duplicate",
    redelivery.status === 200 &&
      again.duplicate === true &&
      again.executionArn === (first[0]!.body as { executionArn: string }).executionArn,
    JSON.stringify(redelivery),
  );
  const afterDuplicate = await demo.snapshot("demo-001");
  check(
    "demo-001 still has exactly one key",
    afterDuplicate.keysLabeled === 1,
    `${afterDuplicate.keysLabeled}`,
  );

  step("3. Two different deliveries for demo-004 arrive at the same moment");
  const pair = await Promise.all([demo.deliver("demo-004"), demo.deliver("demo-004")]);
  check(
    "both are accepted (202), as two executions",
    pair.every((r) => r.status === 202) && pair[0]!.webhookId !== pair[1]!.webhookId,
    pair.map((r) => r.status).join(", "),
  );
  await Promise.all(pair.map((r) => demo.finished(r)));
  const concurrent = await demo.expectPractice("demo-004", { status: "ACTIVE", portalStatus: "Enabled" });
  check(
    "the portal holds exactly one key for demo-004",
    concurrent.keysLabeled === 1,
    `${concurrent.keysLabeled}`,
  );
  await demo.table(["demo-004"]);

  step("4. Fault: the portal refuses to label demo-005's new key (400 on the next PUT)");
  simulator.queueFaults({
    kind: "status",
    status: 400,
    method: "PUT",
    body: JSON.stringify("DevRefId is invalid."),
  });
  const faulted = await demo.finished(await demo.deliver("demo-005"));
  check("the onboarding execution FAILED", faulted?.status === "FAILED", `${faulted?.status}`);
  const failedRow = await demo.expectPractice("demo-005", {
    status: "FAILED",
    portalStatus: "DisabledByDeveloper",
    label: "",
  });
  check(
    "the practice record says why (the portal's explanation)",
    (failedRow.failureReason ?? "").includes("DevRefId is invalid."),
    `${failedRow.failureReason}`,
  );
  await demo.table(["demo-005"]);

  step(
    '5. Operations offboard demo-002: npm run ops -- --local offboard demo-002 --reason "contract ended" --wait',
  );
  const offboarded = await runOpsLocal(stateDir, [
    "offboard",
    "demo-002",
    "--reason",
    "contract ended",
    "--wait",
  ]);
  print(indent(offboarded.stdout + offboarded.stderr));
  check(
    "the ops CLI exits 0 (the offboarding execution SUCCEEDED)",
    offboarded.code === 0,
    `exit ${offboarded.code}`,
  );
  await demo.expectPractice("demo-002", { status: "OFFBOARDED", portalStatus: "DisabledByDeveloper" });
  await demo.table(["demo-002"]);

  step("6. Drift: someone changes keys by hand in the portal");
  const reenabled = await demo.changeInPortal("demo-002", { KeyStatus: "Enabled" });
  check(
    "demo-002's disabled key is re-enabled in the portal (billed again)",
    reenabled === 200,
    `${reenabled}`,
  );
  const relabeled = await demo.changeInPortal("demo-003", { DevRefId: "Someone Else's Clinic" });
  check("demo-003's key is relabeled in the portal", relabeled === 200, `${relabeled}`);
  const [foreign] = simulator.addKeys([{ DevRefId: "Front desk test key", KeyStatus: "Enabled" }]);
  check("a key is created by hand in the portal, outside this system", foreign !== undefined);
  await demo.table(PRACTICES.map((p) => p.practiceId));

  step("7. Reconciliation with repair: npm run ops -- --local reconcile --repair --grace-minutes 0 --wait");
  const reconciled = await runOpsLocal(stateDir, [
    "reconcile",
    "--repair",
    "--grace-minutes",
    "0",
    "--wait",
    "--json",
  ]);
  const run = parseJson(reconciled.stdout) as {
    result?: { status?: string; output?: ReconciliationOutcome };
  };
  check(
    "the ops CLI exits 0 (the reconciliation execution SUCCEEDED)",
    reconciled.code === 0 && run?.result?.status === "SUCCEEDED",
    `exit ${reconciled.code}: ${reconciled.stderr.trim().split("\n").at(-1)}`,
  );
  const report = run?.result?.output ?? {};
  const counts = Object.entries(report.counts ?? {}).map(([category, count]) => [category, String(count)]);
  print(`\n${formatTable(["finding", "count"], counts)}\n`);
  print(`  repairs ${JSON.stringify(report.repairs)}, needing a person: ${report.needingAttention}\n\n`);
  const found = Object.fromEntries(Object.entries(report.counts ?? {}).filter(([, count]) => count > 0));
  check(
    "it finds the hand-made key, the re-enabled key and the relabeled key",
    JSON.stringify(found) ===
      JSON.stringify({ UNMAPPED_KEY_FOREIGN: 1, SHOULD_BE_DISABLED: 1, LABEL_DRIFT: 1 }),
    JSON.stringify(found),
  );
  check(
    "it repairs the two it may repair and leaves the hand-made key to a person",
    report.repairs?.done === 2 && report.repairs.failed === 0 && report.needingAttention === 1,
    JSON.stringify({ repairs: report.repairs, needingAttention: report.needingAttention }),
  );
  await demo.expectPractice("demo-002", { status: "OFFBOARDED", portalStatus: "DisabledByDeveloper" });
  await demo.expectPractice("demo-003", { status: "ACTIVE", portalStatus: "Enabled" });
  const foreignAfter = simulator.keys().find((key) => key.CustomerKey === foreign?.CustomerKey);
  check(
    "the hand-made key is untouched (still Enabled)",
    foreignAfter?.KeyStatus === "Enabled",
    `${foreignAfter?.KeyStatus}`,
  );

  step(`8. Domain events for integrators: ${path.join(stateDir, "events.jsonl")}`);
  // Outcome events come from the table's stream (the outbox): let the delivery catch up first.
  await demo.eventsDelivered();
  const events = readEventsFile(path.join(stateDir, "events.jsonl"));
  print(
    `\n${formatTable(
      ["event", "practice", "masked key", "execution"],
      events.map((e) => [
        e["detail-type"],
        String(e.detail.practiceId ?? "—"),
        String(e.detail.maskedKey ?? "—"),
        e.detail.executionName,
      ]),
    )}\n\n`,
  );
  const published = (type: string) =>
    events
      .filter((e) => e["detail-type"] === type)
      .map((e) => String(e.detail.practiceId ?? ""))
      .sort()
      .join(", ");
  check(
    "one PracticeOnboarded per onboarded practice (demo-004's two deliveries make one)",
    published("PracticeOnboarded") === "demo-001, demo-002, demo-003, demo-004",
    published("PracticeOnboarded"),
  );
  check(
    "PracticeOnboardingFailed for demo-005, PracticeOffboarded for demo-002, one ReconciliationCompleted",
    published("PracticeOnboardingFailed") === "demo-005" &&
      published("PracticeOffboarded") === "demo-002" &&
      events.filter((e) => e["detail-type"] === "ReconciliationCompleted").length === 1,
    events.map((e) => e["detail-type"]).join(", "),
  );

  step("9. Key custody: the table holds every key encrypted, nothing else of it (docs/architecture.md §4)");
  const issued = simulator.keys().map((key) => key.CustomerKey);
  const atRest = await scanTableForKeys(localDynamoDbClient(demo.dynamoDbEndpoint), demo.tableName, issued);
  print(
    `\n  scanned ${Object.entries(atRest.itemsRead)
      .map(([source, count]) => `${count} items (${source})`)
      .join(", ")} for the ${issued.length} keys the portal ever issued\n\n`,
  );
  check(
    "no item, attribute or index of the table holds a CustomerKey, nor any 8-character run of one",
    atRest.findings.length === 0 && (atRest.itemsRead.table ?? 0) > 0,
    atRest.findings.map((f) => `${f.source} ${f.path} (…${f.keyTail})`).join("; "),
  );
  const stored = await demo.storedKey("demo-003");
  check(
    "demo-003's record holds its key as a kms1: ciphertext under the custody key",
    stored?.startsWith("kms1:") === true,
    stored === undefined ? "no key" : "not a kms1: ciphertext",
  );

  step("Final state");
  await demo.table(PRACTICES.map((p) => p.practiceId));
  const stats = simulator.stats();
  print(
    `\n  portal: ${stats.requests} requests, ${stats.rateLimited} refused by its rate limit, at most ${stats.maxInAnyWindow} in any second\n`,
  );
}

async function main(): Promise<number> {
  const stateDir = mkdtempSync(path.join(tmpdir(), "practice-onboarding-demo-"));
  const capture = captureFunctionOutput(path.join(stateDir, "lambda.log"));
  print = capture.terminal.out;
  print("Practice onboarding — demo on a fresh local stack\n");
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      config: { port: 0, portalMaxRps: 20 },
      stateDir,
      retryIntervalOverrides: 20,
      simulator: { maxRequestsPerSecond: 25 },
      log: (line) => print(`  … ${line}\n`),
    });
    const simulator = stack.simulator!;
    await scenario(new Demo(stack, simulator, stateDir), simulator, stateDir);
  } catch (error) {
    check("the demo ran to the end", false, (error as Error).stack ?? String(error));
  } finally {
    await stack?.stop();
    capture.restore();
  }

  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) {
    rmSync(stateDir, { recursive: true, force: true });
    process.stdout.write(`\nAll ${checks.length} expected outcomes happened.\n`);
    return 0;
  }
  process.stdout.write(`\n${failed.length} of ${checks.length} expected outcomes did not happen:\n`);
  for (const c of failed) process.stdout.write(`  ✗ [${c.step}] ${c.description}  — ${c.detail ?? ""}\n`);
  process.stdout.write(`Function logs: ${path.join(stateDir, "lambda.log")}\n`);
  return 1;
}

new Command()
  .name("npm run demo --")
  .description(
    "A scripted tour of the whole system on a fresh local stack (its own DynamoDB Local, portal simulator and " +
      "ports; a running npm start is not touched): onboarding through signed webhooks, a duplicate delivery and " +
      "a concurrent pair, offboarding, an injected fault, drift, and reconciliation with repair, printing what " +
      "happened after each step. Exit 0 when every expected outcome happened, 1 when one did not, 2 on bad usage.",
  )
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse();

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`npm run demo: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
