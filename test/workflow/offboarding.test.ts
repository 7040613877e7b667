// The Offboarding state machine as synthesized, on the local engine, DynamoDB Local and the portal simulator
// over HTTP — practices onboarded by the synthesized Onboarding state machine first.
import { readFileSync } from "node:fs";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { domainEventId } from "../../functions/domain-events/domain-event-id.js";
import { maskKeyTail } from "../../functions/platform/mask.js";
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import type { PortalSimulator } from "../../local/portal-simulator.js";
import {
  type OnboardingHarness,
  PORTAL_SECRET_NAME,
  startOnboardingHarness,
} from "../support/onboarding-harness.js";
import { eventsOfExecution } from "../support/published-events.js";
import { testMask } from "../support/test-key-custody.js";

let h: OnboardingHarness;
let simulator: PortalSimulator;
let offboardingArn: string;
let documents: DynamoDBDocumentClient;
let practice = 0;
let execution = 0;

beforeAll(async () => {
  h = await startOnboardingHarness({ maxRps: 20 });
  simulator = h.simulator!;
  offboardingArn = h.engine
    .stateMachines()
    .find((sm) => sm.logicalId.startsWith("OffboardingStateMachine"))!.stateMachineArn;
  documents = DynamoDBDocumentClient.from(localDynamoDbClient(inject("dynamoDbEndpoint")));
});
afterAll(async () => {
  documents?.destroy();
  await h?.close();
});

function newPracticeId(): string {
  practice += 1;
  return `off-${practice}`;
}

/** Runs the Offboarding state machine to its end. */
async function offboard(input: unknown) {
  const name = `offboard-${++execution}`;
  const { executionArn } = await h.engine.startExecution({
    stateMachineArn: offboardingArn,
    name,
    input: JSON.stringify(input),
  });
  const ended = await h.engine.waitForExecution(executionArn);
  await h.streams.drain();
  return { ...ended, name };
}

/** A practice onboarded by the Onboarding workflow: ACTIVE, with an enabled, labeled key in the simulator. */
async function activePractice(): Promise<PracticeRecord & { customerKey: string }> {
  const practiceId = newPracticeId();
  const result = await h.run({
    practiceId,
    devRefId: `Dental ${practiceId}`,
    requestedBy: "crm-webhook:msg_1",
  });
  expect(result.status).toBe("SUCCEEDED");
  return (await openedRecord(practiceId)) as PracticeRecord & { customerKey: string };
}

/** `METHOD status` of every portal request made after `from` (a count of earlier calls). */
function callsSince(from: number): string[] {
  return simulator
    .calls()
    .slice(from)
    .map((c) => `${c.method} ${c.status ?? "none"}`);
}

const portalKey = (customerKey: string) => simulator.keys().find((k) => k.CustomerKey === customerKey)!;

/** The portal's record of requests to a key after the first `from`: method, status and body fields sent. */
const keyRequestsSince = (customerKey: string, from: number) =>
  portalKey(customerKey)
    .history.slice(from)
    .map(({ method, status, request }) => ({ method, status, request }));

const auditSince = async (practiceId: string, from: number) =>
  (await h.store.listAudit(practiceId))
    .slice(from)
    .map(({ action, actor, executionName, details }) => ({ action, actor, executionName, details }));

async function scanTable() {
  const { Items } = await documents.send(
    new ScanCommand({ TableName: h.store.tableName, ConsistentRead: true }),
  );
  return (Items ?? []).sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const REASON = "Practice closed its account (ticket 4711)";

/**
 * The practice record with its key opened, as the test (holding the local administrator's credentials) compares it
 * with the portal's keys; the table itself holds only the ciphertext (docs/architecture.md §4 invariant 13).
 */
async function openedRecord(practiceId: string): Promise<PracticeRecord | undefined> {
  const record = await h.store.getPractice(practiceId);
  return record?.customerKey ? { ...record, customerKey: await h.store.revealCustomerKey(record) } : record;
}

describe("Offboarding workflow", () => {
  it("disables an ACTIVE practice's key with its status read and exactly one PUT and records OFFBOARDED with the reason and time", async () => {
    const active = await activePractice();
    const { practiceId, customerKey } = active;
    const maskedKey = testMask(customerKey);
    const before = simulator.calls().length;
    const history = portalKey(customerKey).history.length;
    const audit = (await h.store.listAudit(practiceId)).length;

    const result = await offboard({ practiceId, reason: `  ${REASON}  `, requestedBy: "ops:alice" });

    expect(result.status).toBe("SUCCEEDED");
    expect(callsSince(before)).toEqual(["GET 200", "PUT 200"]);
    expect(keyRequestsSince(customerKey, history)).toEqual([
      { method: "PUT", status: 200, request: { KeyStatus: "DisabledByDeveloper" } },
    ]);
    expect(portalKey(customerKey).KeyStatus).toBe("DisabledByDeveloper");
    const record = (await openedRecord(practiceId))!;
    expect(record.offboardedAt).toMatch(ISO_TIME);
    expect(record).toEqual({
      ...active,
      status: "OFFBOARDED",
      version: active.version + 3,
      lastExecution: result.name,
      requestedBy: "ops:alice",
      updatedAt: record.offboardedAt,
      offboardedAt: record.offboardedAt,
      lastTransitionAt: record.offboardedAt,
      offboarding: {
        executionName: result.name,
        requestedBy: "ops:alice",
        reason: REASON,
        startedAt: record.offboarding!.startedAt,
        previous: { status: "ACTIVE", lastExecution: active.lastExecution, requestedBy: "crm-webhook:msg_1" },
        keyDisabledAt: record.offboarding!.keyDisabledAt,
        keyMissingInPortal: false,
        portalKeyStatus: "DisabledByDeveloper",
        completedAt: record.offboardedAt,
      },
    });
    expect((await h.store.getKeyOwner(await h.store.fingerprint(customerKey)))?.disabledAt).toBe(
      record.offboarding!.keyDisabledAt,
    );
    const by = { actor: "ops:alice", executionName: result.name };
    expect(await auditSince(practiceId, audit)).toEqual([
      {
        action: "OFFBOARDING_STARTED",
        ...by,
        details: { previousStatus: "ACTIVE", maskedKey, reason: REASON },
      },
      { action: "KEY_DISABLED", ...by, details: { maskedKey, portalKeyStatus: "DisabledByDeveloper" } },
      {
        action: "OFFBOARDING_COMPLETED",
        ...by,
        details: {
          reason: REASON,
          previousStatus: "ACTIVE",
          maskedKey,
          keyDisabled: true,
          keyMissingInPortal: false,
        },
      },
    ]);
    expect(JSON.parse(result.output!)).toEqual({
      practiceId,
      outcome: "claimed",
      maskedKey,
      previousStatus: "ACTIVE",
      disable: { maskedKey, keyDisabled: true, keyMissingInPortal: false },
      record: {
        status: "OFFBOARDED",
        offboardedAt: record.offboardedAt,
        version: record.version,
        event: expect.objectContaining({ type: "PracticeOffboarded" }),
      },
    });
    expect(eventsOfExecution(h.eventsFile, result.name)).toEqual([
      [
        "PracticeOffboarded",
        {
          schemaVersion: "1",
          eventId: domainEventId("PracticeOffboarded", result.name),
          occurredAt: record.offboardedAt,
          executionName: result.name,
          practiceId,
          devRefId: active.devRefId,
          maskedKey,
          reason: REASON,
        },
      ],
    ]);
  });

  it("succeeds as already offboarded, with no portal call and nothing written, when run again", async () => {
    const { practiceId, customerKey } = await activePractice();
    const first = await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" });
    expect(first.status).toBe("SUCCEEDED");
    const before = simulator.calls().length;
    const table = await scanTable();

    const again = await offboard({ practiceId, reason: "asked twice", requestedBy: "ops:bob" });

    expect(again.status).toBe("SUCCEEDED");
    const offboardedAt = (await openedRecord(practiceId))!.offboardedAt;
    expect(JSON.parse(again.output!)).toEqual({
      practiceId,
      outcome: "alreadyOffboarded",
      maskedKey: testMask(customerKey),
      offboardedAt,
    });
    expect(callsSince(before)).toEqual([]);
    expect(await scanTable()).toEqual(table);
    expect(eventsOfExecution(h.eventsFile, again.name)).toEqual([]);
  });

  it("fails with PracticeNotFound naming the practice, writing nothing and calling no portal, for an unknown practice", async () => {
    const before = simulator.calls().length;
    const table = await scanTable();

    const result = await offboard({
      practiceId: "never-onboarded-7",
      reason: REASON,
      requestedBy: "ops:alice",
    });

    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("PracticeNotFound");
    expect(JSON.parse(result.cause!).errorMessage).toBe(
      "practice never-onboarded-7 is not in the table; nothing to offboard",
    );
    expect(callsSince(before)).toEqual([]);
    expect(await scanTable()).toEqual(table);
  });

  it("fails at once with InvalidInput naming the field, writing nothing, when the reason is missing", async () => {
    const { practiceId } = await activePractice();
    const before = simulator.calls().length;
    const table = await scanTable();

    const result = await offboard({ practiceId, requestedBy: "ops:alice" });

    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("InvalidInput");
    expect(JSON.parse(result.cause!).errorMessage).toBe("reason is required");
    expect(callsSince(before)).toEqual([]);
    expect(await scanTable()).toEqual(table);
  });

  it("fails with PracticeBusy, writing nothing, while another execution is onboarding the practice", async () => {
    const practiceId = newPracticeId();
    await h.store.claimForOnboarding({
      practiceId,
      devRefId: "Busy Dental",
      executionName: "onboarding-in-flight",
      requestedBy: "crm-webhook:msg_2",
    });
    const before = simulator.calls().length;
    const table = await scanTable();

    const result = await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" });

    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("PracticeBusy");
    expect(JSON.parse(result.cause!).errorMessage).toBe(
      `practice ${practiceId} is ONBOARDING by execution onboarding-in-flight; offboard it once that execution has ended`,
    );
    expect(callsSince(before)).toEqual([]);
    expect(await scanTable()).toEqual(table);
  });

  it.each([404, 410])(
    "records a key the portal no longer knows (%i) as missing and succeeds after its status read and exactly one PUT",
    async (status) => {
      const { practiceId, customerKey } = await activePractice();
      const maskedKey = testMask(customerKey);
      const before = simulator.calls().length;
      const audit = (await h.store.listAudit(practiceId)).length;
      simulator.queueFaults({
        kind: "status",
        method: "PUT",
        status,
        body: JSON.stringify(`CustomerKey ${customerKey} was not found.`),
      });

      const result = await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" });

      expect(result.status).toBe("SUCCEEDED");
      expect(callsSince(before)).toEqual(["GET 200", `PUT ${status}`]);
      const record = (await openedRecord(practiceId))!;
      expect(record.status).toBe("OFFBOARDED");
      expect(record.offboarding).toMatchObject({ keyMissingInPortal: true, reason: REASON });
      expect(record.offboarding?.portalKeyStatus).toBeUndefined();
      expect((await h.store.getKeyOwner(await h.store.fingerprint(customerKey)))?.disabledAt).toBeUndefined();
      expect((await auditSince(practiceId, audit)).map((e) => [e.action, e.details])).toEqual([
        ["OFFBOARDING_STARTED", { previousStatus: "ACTIVE", maskedKey, reason: REASON }],
        ["KEY_MISSING_IN_PORTAL", { maskedKey }],
        [
          "OFFBOARDING_COMPLETED",
          {
            reason: REASON,
            previousStatus: "ACTIVE",
            maskedKey,
            keyDisabled: false,
            keyMissingInPortal: true,
          },
        ],
      ]);
      expect(JSON.parse(result.output!).disable).toEqual({
        maskedKey,
        keyDisabled: false,
        keyMissingInPortal: true,
      });
      expect(eventsOfExecution(h.eventsFile, result.name)).toEqual([
        ["PracticeOffboarded", expect.objectContaining({ practiceId, maskedKey, keyMissingInPortal: true })],
      ]);
    },
  );

  it("disables the key through a burst of 5xx answers, retried by Step Functions", async () => {
    const { practiceId, customerKey } = await activePractice();
    const before = simulator.calls().length;
    simulator.queueFaults(
      { kind: "status", method: "PUT", status: 503 },
      { kind: "status", method: "PUT", status: 500 },
      { kind: "status", method: "PUT", status: 502 },
    );

    const result = await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" });

    expect(result.status).toBe("SUCCEEDED");
    // Each retried invocation reads the key's status again: it may have been revoked in between.
    expect(callsSince(before)).toEqual([
      "GET 200",
      "PUT 503",
      "GET 200",
      "PUT 500",
      "GET 200",
      "PUT 502",
      "GET 200",
      "PUT 200",
    ]);
    expect(portalKey(customerKey).KeyStatus).toBe("DisabledByDeveloper");
    expect((await openedRecord(practiceId))?.status).toBe("OFFBOARDED");
  });

  it("fails fast on 401, naming the secret, and puts the practice back to ACTIVE with the failure audited", async () => {
    const active = await activePractice();
    const { practiceId, customerKey } = active;
    const maskedKey = testMask(customerKey);
    const before = simulator.calls().length;
    const audit = (await h.store.listAudit(practiceId)).length;
    simulator.queueFaults({
      kind: "status",
      method: "PUT",
      status: 401,
      times: 2,
      body: '"Invalid DeveloperPortalKey."',
    });

    const result = await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" });

    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("PortalUnauthorized");
    expect(result.cause).toContain("check the DeveloperKey/DeveloperPortalKey in secret arn:");
    expect(result.cause).toContain(PORTAL_SECRET_NAME);
    expect(result.cause).toMatch(/^PortalUnauthorized: PUT \/apikeys for key \S+ 401 Unauthorized/);
    // One request and the client's single retry with re-read credentials; Step Functions retries none.
    expect(callsSince(before)).toEqual(["GET 200", "PUT 401", "PUT 401"]);
    expect(portalKey(customerKey).KeyStatus).toBe("Enabled");
    // A failed offboarding changed nothing integrators must hear about: no event.
    expect(eventsOfExecution(h.eventsFile, result.name)).toEqual([]);
    const record = (await openedRecord(practiceId))!;
    expect(record).toEqual({
      ...active,
      version: active.version + 2,
      updatedAt: record.offboarding!.failedAt,
      // Put back to ACTIVE is a transition too: a request issued before the failed offboarding is stale.
      lastTransitionAt: record.offboarding!.failedAt,
      offboarding: {
        executionName: result.name,
        requestedBy: "ops:alice",
        reason: REASON,
        startedAt: record.offboarding!.startedAt,
        previous: { status: "ACTIVE", lastExecution: active.lastExecution, requestedBy: "crm-webhook:msg_1" },
        failedAt: record.offboarding!.failedAt,
        failureReason: result.cause,
      },
    });
    expect(await auditSince(practiceId, audit)).toEqual([
      {
        action: "OFFBOARDING_STARTED",
        actor: "ops:alice",
        executionName: result.name,
        details: { previousStatus: "ACTIVE", maskedKey, reason: REASON },
      },
      {
        action: "OFFBOARDING_FAILED",
        actor: "ops:alice",
        executionName: result.name,
        details: { reason: result.cause, restoredStatus: "ACTIVE", maskedKey, keyDisabled: false },
      },
    ]);
  });

  it("offboards a practice restored after a failed offboarding once the portal accepts the credentials", async () => {
    const { practiceId, customerKey } = await activePractice();
    simulator.queueFaults({ kind: "status", status: 401, times: 2 });
    expect((await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" })).status).toBe("FAILED");

    const retried = await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" });

    expect(retried.status).toBe("SUCCEEDED");
    expect(portalKey(customerKey).KeyStatus).toBe("DisabledByDeveloper");
    expect(await openedRecord(practiceId)).toMatchObject({
      status: "OFFBOARDED",
      offboarding: { executionName: retried.name, previous: { status: "ACTIVE" }, keyMissingInPortal: false },
    });
  });

  it("disables the key a FAILED onboarding could not disable, and records the practice OFFBOARDED", async () => {
    const practiceId = newPracticeId();
    // Labeling refused (400), then compensation refused (401 twice): FAILED with its key still enabled.
    simulator.queueFaults(
      { kind: "status", method: "PUT", status: 400, body: '"DevRefId refused."' },
      { kind: "status", method: "PUT", status: 401, times: 2 },
    );
    const onboarding = await h.run({ practiceId, devRefId: "Half Dental", requestedBy: "crm-webhook:msg_3" });
    expect(onboarding.status).toBe("FAILED");
    const failed = (await openedRecord(practiceId))!;
    expect(failed.status).toBe("FAILED");
    expect(portalKey(failed.customerKey!).KeyStatus).toBe("Enabled");
    const before = simulator.calls().length;

    const result = await offboard({ practiceId, reason: "Never went live", requestedBy: "ops:alice" });

    expect(result.status).toBe("SUCCEEDED");
    expect(callsSince(before)).toEqual(["GET 200", "PUT 200"]);
    expect(portalKey(failed.customerKey!).KeyStatus).toBe("DisabledByDeveloper");
    expect(await openedRecord(practiceId)).toMatchObject({
      status: "OFFBOARDED",
      failureReason: failed.failureReason,
      offboarding: { reason: "Never went live", previous: { status: "FAILED" } },
    });
  });

  it("re-enables the old key when an offboarded practice is onboarded again", async () => {
    const { practiceId, customerKey } = await activePractice();
    expect((await offboard({ practiceId, reason: REASON, requestedBy: "ops:alice" })).status).toBe(
      "SUCCEEDED",
    );
    const keysBefore = simulator.keys().length;
    const before = simulator.calls().length;

    const back = await h.run({
      practiceId,
      devRefId: `Dental ${practiceId}`,
      requestedBy: "crm-webhook:msg_4",
    });

    expect(back.status).toBe("SUCCEEDED");
    expect(JSON.parse(back.output!).outcome).toBe("returning");
    expect(callsSince(before)).toEqual(["PUT 200", "PUT 200"]);
    expect(simulator.keys()).toHaveLength(keysBefore);
    expect(portalKey(customerKey).KeyStatus).toBe("Enabled");
    expect(await openedRecord(practiceId)).toMatchObject({ status: "ACTIVE", customerKey });
  });

  it("never puts a full key or credential in an execution event, a log line or a domain event", () => {
    const secrets = [
      ...simulator.keys().map((k) => k.CustomerKey),
      simulator.credentials.developerKey,
      simulator.credentials.developerPortalKey,
    ];
    expect(h.events.length).toBeGreaterThan(100);
    expect(h.output.join("").match(/"message":"key disabled"/g)?.length ?? 0).toBeGreaterThan(3);
    const published = readFileSync(h.eventsFile, "utf8");
    expect(published).toContain('"detail-type":"PracticeOffboarded"');
    const haystacks = [...h.events.map((e) => JSON.stringify(e)), ...h.output, published];
    const leaks = secrets.filter((secret) => haystacks.some((text) => text.includes(secret)));
    expect(leaks.map(maskKeyTail)).toEqual([]);
  });
});
