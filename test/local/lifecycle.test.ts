// Issue 14, through the local stack's public interfaces: signed CRM webhooks, `ops --local`, and the portal
// simulator's control routes and faults. Each test is a lifecycle rule of docs/architecture.md §4 that broke
// under real CRM and portal behaviour.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../contracts/metric-names.js";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { readEventsFile } from "../../local/events-file.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import { type CrmDeliveryRequest, sendCrmDelivery } from "../../local/signed-webhook.js";
import { captureProcessOutput } from "../support/captured-output.js";
import { emittedMetrics } from "../support/emf-records.js";
import { type OpsRun, runOpsCli } from "../support/ops-cli.js";
import { stackKeyCipher } from "../support/test-key-cipher.js";

let stack: LocalStack;
let stateDir: string;
let store: PracticeStore;
// The functions' log lines and metrics (EMF), written to this process's stdout by the in-process stack.
const output = captureProcessOutput();

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "lifecycle-"));
  const port = await findFreePort();
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(port), PORTAL_MAX_RPS: "50" }),
    stateDir,
    retryIntervalOverrides: 0,
  });
  store = new PracticeStore({
    client: DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamoDbEndpoint)),
    tableName: stack.endpoints.outputs[STACK_OUTPUTS.tableName]!,
    keyCipher: stackKeyCipher({
      endpoint: stack.endpoints.awsEndpoint,
      custodyKeyArn: stack.endpoints.outputs[STACK_OUTPUTS.keyCustodyKey]!,
    }),
  });
}, 180_000);

/** The practice's key, opened with the local stack's KMS: the record holds only its ciphertext (§4 invariant 13). */
async function fullKeyOf(practiceId: string): Promise<string> {
  const record = await store.getPractice(practiceId);
  if (!record?.customerKey) throw new Error(`${practiceId} has no key`);
  return store.revealCustomerKey(record);
}

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Sends a signed delivery as the CRM does and, when it started an execution, waits for its end. */
async function deliver(request: CrmDeliveryRequest) {
  const response = await sendCrmDelivery(
    stack.endpoints.outputs[STACK_OUTPUTS.webhookUrl]!,
    stack.webhookSecret,
    request,
  );
  const executionArn = (response.body as { executionArn?: string }).executionArn;
  const execution = executionArn ? await stack.engine.waitForExecution(executionArn) : undefined;
  await stack.executionStatusEvents.idle();
  // Outcome events come from the table's stream (the outbox): wait until it is drained.
  await stack.streamSources.drain();
  return { response, execution };
}

/** Runs `ops --local …` against the test's stack. */
async function ops(...args: string[]): Promise<OpsRun> {
  const run = await runOpsCli(["--local", ...args], {
    PRACTICE_ONBOARDING_STATE_DIR: stateDir,
    PORTAL_MAX_RPS: "50",
  });
  await stack.streamSources.drain();
  return run;
}

/** What the practice (in Open Dental) or HQ does to its key: the simulator holds the key with that status. */
function setKeyStatusInPortal(customerKey: string, keyStatus: string) {
  const simulator = stack.simulator!;
  const keys = simulator
    .keys()
    .map(({ history: _history, ...key }) =>
      key.CustomerKey === customerKey ? { ...key, KeyStatus: keyStatus, DateDisabled: key.DateCreated } : key,
    );
  simulator.reset();
  simulator.addKeys(keys);
}

function portalKey(customerKey: string) {
  return stack.simulator!.keys().find((key) => key.CustomerKey === customerKey);
}

function eventsOf(practiceId: string) {
  return readEventsFile(stack.endpoints.eventsFile).filter((event) => event.detail.practiceId === practiceId);
}

describe("symptom 2: events are correct by construction", () => {
  it("onboards a practice whose id and label have a key's shape and publishes its PracticeOnboarded", async () => {
    const { response, execution } = await deliver({
      practiceId: "DENTALPRACTICE01",
      devRefId: "DENTALPRACTICE01",
    });

    expect(response.status).toBe(202);
    expect(execution?.status).toBe("SUCCEEDED");
    expect((await store.getPractice("DENTALPRACTICE01"))?.status).toBe("ACTIVE");
    expect(eventsOf("DENTALPRACTICE01").map((event) => [event["detail-type"], event.detail])).toEqual([
      [
        "PracticeOnboarded",
        expect.objectContaining({ practiceId: "DENTALPRACTICE01", devRefId: "DENTALPRACTICE01" }),
      ],
    ]);
  });
});

describe("symptom 4: keys the practice or Open Dental revoked are respected", () => {
  it("offboards a practice whose key its practice disabled without sending our disable, then gives it a new key when it returns", async () => {
    const practiceId = "revoked-by-customer";
    expect((await deliver({ practiceId, devRefId: "Revoked Dental" })).execution?.status).toBe("SUCCEEDED");
    const oldKey = await fullKeyOf(practiceId);
    setKeyStatusInPortal(oldKey, "DisabledByCustomer");

    const offboard = await ops("offboard", practiceId, "--reason", "contract ended", "--wait");

    expect(offboard.code).toBe(0);
    expect(portalKey(oldKey)).toMatchObject({ KeyStatus: "DisabledByCustomer", history: [] });
    expect((await store.getPractice(practiceId))?.status).toBe("OFFBOARDED");
    expect(eventsOf(practiceId).at(-1)).toMatchObject({
      "detail-type": "PracticeOffboarded",
      detail: { alreadyDisabled: true },
    });

    // Issued in a later second than the offboarding: one in its second would be stale (symptom 3's rule).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const back = await deliver({ practiceId, devRefId: "Revoked Dental" });

    expect(back.execution?.status).toBe("SUCCEEDED");
    const record = await store.getPractice(practiceId);
    expect(record).toMatchObject({ status: "ACTIVE", keyOrigin: "created" });
    expect(await fullKeyOf(practiceId)).not.toBe(oldKey);
    expect(portalKey(oldKey)?.KeyStatus).toBe("DisabledByCustomer");
    expect(portalKey(oldKey)?.history.filter((event) => event.status === 200)).toEqual([]);
    expect((await store.listAudit(practiceId)).map((entry) => entry.action)).toContain("KEY_REVOKED");
  });
});

describe("symptom 3: an out-of-order CRM request changes nothing", () => {
  // The ordering rule (README "Ordering of lifecycle requests", docs/events.md): a request issued at or before
  // the practice's last recorded transition is stale. Webhook timestamps count in whole seconds.
  it("answers 202 stale to an onboarding issued before the practice's offboarding, which stands", async () => {
    const practiceId = "late-redelivery";
    expect((await deliver({ practiceId, devRefId: "Late Dental" })).execution?.status).toBe("SUCCEEDED");
    const key = await fullKeyOf(practiceId);
    const issuedBeforeOffboarding = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await ops("offboard", practiceId, "--reason", "contract ended", "--wait")).code).toBe(0);
    const offboarded = await store.getPractice(practiceId);

    // The CRM redelivers an onboarding request issued before the offboarding, under a new delivery id.
    const late = await deliver({ practiceId, devRefId: "Late Dental", timestamp: issuedBeforeOffboarding });

    expect(late.response.status).toBe(202);
    expect(late.response.body).toMatchObject({ outcome: "stale", practiceId });
    expect(late.execution?.status).toBe("SUCCEEDED");
    expect(JSON.parse(late.execution!.output!)).toMatchObject({ outcome: "stale", practiceId });
    expect(await store.getPractice(practiceId)).toMatchObject({
      status: "OFFBOARDED",
      version: offboarded!.version,
    });
    expect(portalKey(key)?.KeyStatus).toBe("DisabledByDeveloper");
    expect(eventsOf(practiceId).at(-1)?.["detail-type"]).toBe("PracticeOffboarded");
    const stale = (await store.listAudit(practiceId)).at(-1);
    expect(stale).toMatchObject({
      action: "STALE_REQUEST_IGNORED",
      details: expect.objectContaining({ request: "onboarding", status: "OFFBOARDED" }),
    });
    expect(emittedMetrics(output.records()).filter((metric) => metric.name === METRIC.staleRequests)).toEqual(
      [
        expect.objectContaining({
          value: 1,
          dimensions: expect.objectContaining({ Workflow: "Onboarding" }),
        }),
      ],
    );

    const status = await ops("status", practiceId);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Last stale request[\s\S]*onboarding[\s\S]*issued/);
    expect(status.stdout).toContain(late.execution!.name!);
  });

  it("onboards a returning practice whose request was issued after its offboarding", async () => {
    const practiceId = "returning-in-order";
    expect((await deliver({ practiceId, devRefId: "Back Dental" })).execution?.status).toBe("SUCCEEDED");
    const key = await fullKeyOf(practiceId);
    expect((await ops("offboard", practiceId, "--reason", "contract ended", "--wait")).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const back = await deliver({ practiceId, devRefId: "Back Dental" });

    expect(back.response.status).toBe(202);
    expect(back.response.body).toMatchObject({ outcome: "accepted", practiceId });
    expect(back.execution?.status).toBe("SUCCEEDED");
    expect(await store.getPractice(practiceId)).toMatchObject({ status: "ACTIVE", keyOrigin: "reenabled" });
    expect(portalKey(key)?.KeyStatus).toBe("Enabled");
  });

  it("counts a webhook timestamp in whole seconds: one in the second of the last transition is stale", async () => {
    const practiceId = "same-second";
    expect((await deliver({ practiceId, devRefId: "Tie Dental" })).execution?.status).toBe("SUCCEEDED");
    expect((await ops("offboard", practiceId, "--reason", "contract ended", "--wait")).code).toBe(0);
    const transition = Date.parse((await store.getPractice(practiceId))!.lastTransitionAt!);
    // The last millisecond of the transition's second: after it in real time, but a whole-second timestamp
    // cannot say so.
    const sameSecond = new Date(Math.floor(transition / 1000) * 1000 + 999);

    const tie = await deliver({ practiceId, devRefId: "Tie Dental", timestamp: sameSecond });

    expect(tie.response.body).toMatchObject({ outcome: "stale" });
    expect(JSON.parse(tie.execution!.output!)).toMatchObject({ outcome: "stale" });
    expect((await store.getPractice(practiceId))?.status).toBe("OFFBOARDED");
  });

  it("ends an offboarding issued (by the CLI's clock) before the practice's last transition Stale", async () => {
    const practiceId = "late-offboarding";
    expect((await deliver({ practiceId, devRefId: "Kept Dental" })).execution?.status).toBe("SUCCEEDED");
    const key = await fullKeyOf(practiceId);

    // An operator's machine whose clock is a minute behind issues the offboarding "before" the onboarding.
    const offboard = await runOpsCli(
      ["--local", "offboard", practiceId, "--reason", "contract ended", "--wait"],
      {
        PRACTICE_ONBOARDING_STATE_DIR: stateDir,
        PORTAL_MAX_RPS: "50",
        NODE_OPTIONS: `--import=${pathToFileURL(path.resolve("test/support/clock-offset.mjs")).href}`,
        TEST_CLOCK_OFFSET_MS: "-60000",
      },
    );

    expect(offboard.code).toBe(0);
    expect(offboard.stdout).toMatch(/stale/i);
    expect((await store.getPractice(practiceId))?.status).toBe("ACTIVE");
    expect(portalKey(key)?.KeyStatus).toBe("Enabled");
    expect((await store.listAudit(practiceId)).at(-1)).toMatchObject({
      action: "STALE_REQUEST_IGNORED",
      details: expect.objectContaining({ request: "offboarding", status: "ACTIVE" }),
    });
  });
});
