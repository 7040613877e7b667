// The Onboarding state machine as synthesized, on the local engine, DynamoDB Local and the portal simulator.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { domainEventId } from "../../functions/domain-events/domain-event-id.js";
import { maskKeyTail } from "../../functions/platform/mask.js";
import { createPortalClient } from "../../functions/portal/portal-client.js";
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import { offboardPractice } from "../support/offboard-practice.js";
import {
  type OnboardingHarness,
  PORTAL_SECRET_NAME,
  startOnboardingHarness,
} from "../support/onboarding-harness.js";
import { eventsOfExecution, readPublishedEvents } from "../support/published-events.js";
import { testMask } from "../support/test-key-custody.js";

let h: OnboardingHarness;
let practice = 0;

beforeAll(async () => {
  h = await startOnboardingHarness({ maxRps: 20 });
});
afterAll(() => h?.close());

/** This file runs the simulator in-process, for its direct control and state. */
const sim = () => h.simulator!;

function newPracticeId(): string {
  practice += 1;
  return `wf-${practice}`;
}

/** `METHOD status` of every portal request made after `from` (a count of earlier calls). */
function callsSince(from: number): string[] {
  return sim()
    .calls()
    .slice(from)
    .map((c) => `${c.method} ${c.status ?? "none"}`);
}

function keysWithDevRefId(devRefId: string) {
  return sim()
    .keys()
    .filter((k) => k.DevRefId === devRefId);
}

/** The states an execution entered, in order. */
function stateNames(executionArn: string): string[] {
  return h.engine
    .getExecutionHistory(executionArn, { maxResults: 1000 })
    .events!.filter((e) => e.type?.endsWith("StateEntered"))
    .map((e) => e.stateEnteredEventDetails?.name ?? "");
}

/**
 * The practice record with its key opened, as the test (holding the local administrator's credentials) compares it
 * with the portal's keys; the table itself holds only the ciphertext (docs/architecture.md §4 invariant 13).
 */
async function openedRecord(practiceId: string): Promise<PracticeRecord | undefined> {
  const record = await h.store.getPractice(practiceId);
  return record?.customerKey ? { ...record, customerKey: await h.store.revealCustomerKey(record) } : record;
}

describe("Onboarding workflow", () => {
  it("creates, labels and records one key with exactly a POST and a PUT, leaving the practice ACTIVE", async () => {
    const practiceId = newPracticeId();
    const before = sim().calls().length;
    const result = await h.run({ practiceId, devRefId: "Happy Dental", requestedBy: "crm-webhook:msg_1" });
    expect(result.status).toBe("SUCCEEDED");
    expect(callsSince(before)).toEqual(["POST 201", "PUT 200"]);
    const [key] = keysWithDevRefId("Happy Dental");
    expect(key).toMatchObject({ KeyStatus: "Enabled", DevRefId: "Happy Dental" });
    const record = await openedRecord(practiceId);
    expect(record).toMatchObject({
      status: "ACTIVE",
      customerKey: key!.CustomerKey,
      maskedKey: testMask(key!.CustomerKey),
      devRefId: "Happy Dental",
      lastExecution: result.name,
    });
    expect(
      (await h.store.listAudit(practiceId)).map(({ action, actor, executionName }) => ({
        action,
        actor,
        executionName,
      })),
    ).toEqual(
      ["ONBOARDING_STARTED", "KEY_CREATED", "KEY_LABELED", "ONBOARDING_COMPLETED"].map((action) => ({
        action,
        actor: "crm-webhook:msg_1",
        executionName: result.name,
      })),
    );
    expect(JSON.parse(result.output!)).toEqual({
      practiceId,
      devRefId: "Happy Dental",
      requestedBy: "crm-webhook:msg_1",
      outcome: "claimed",
      key: { maskedKey: testMask(key!.CustomerKey), created: true },
      // LabelKeyAndRecordActive's one result: the label's and the record's.
      record: {
        status: "ACTIVE",
        maskedKey: testMask(key!.CustomerKey),
        devRefId: "Happy Dental",
        version: 3,
        event: expect.objectContaining({ type: "PracticeOnboarded" }),
      },
    });
    // No publish state: the event was written with the ACTIVE status and came from the table's stream.
    expect(stateNames(result.executionArn!)).not.toContain("PublishPracticeOnboarded");
    // Label and record in one Task: five states entered, five transitions.
    expect(stateNames(result.executionArn!)).toEqual([
      "ClaimPractice",
      "ClaimOutcome",
      "CreateKey",
      "LabelKeyAndRecordActive",
      "Onboarded",
    ]);
    expect(eventsOfExecution(h.eventsFile, result.name)).toEqual([
      [
        "PracticeOnboarded",
        {
          schemaVersion: "1",
          eventId: domainEventId("PracticeOnboarded", result.name),
          occurredAt: record!.activatedAt,
          executionName: result.name,
          practiceId,
          devRefId: "Happy Dental",
          maskedKey: testMask(key!.CustomerKey),
          keyOrigin: "created",
        },
      ],
    ]);
  });

  it("is not held up by a bus refusing its event, which is delivered once the bus takes it again", async () => {
    const practiceId = newPracticeId();
    const refusedBefore = h.eventBus.stats().refused;
    // EventBridge refusing every entry for a moment (PutEvents answers FailedEntryCount, which the SDK does not
    // retry): the delivery's partial batch response makes the stream hand the record over again.
    // Refused until the delivery has been refused at least once, however long the onboarding takes (a fixed
    // 1.5 s window ran out before the delivery on a loaded machine).
    h.eventBus.setFaults({ rejectFraction: 1 });
    const running = h.run({ practiceId, devRefId: "Delayed Announcement Dental" });
    await vi.waitFor(() => expect(h.eventBus.stats().refused).toBeGreaterThan(refusedBefore), {
      timeout: 30_000,
      interval: 20,
    });
    expect((await openedRecord(practiceId))?.status).toBe("ACTIVE");
    h.eventBus.setFaults({});
    const result = await running;
    expect(result.status).toBe("SUCCEEDED");
    expect((await openedRecord(practiceId))?.status).toBe("ACTIVE");
    expect(h.eventBus.stats().refused).toBeGreaterThan(refusedBefore);
    const announced = eventsOfExecution(h.eventsFile, result.name);
    expect(announced.map(([type, detail]) => [type, detail.eventId])).toEqual([
      ["PracticeOnboarded", domainEventId("PracticeOnboarded", result.name)],
    ]);
  });

  it("creates exactly one key when one practice is started 10 times at once, and again once ACTIVE", async () => {
    const practiceId = newPracticeId();
    const before = sim().calls().length;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h.run({ practiceId, devRefId: "Tenfold Dental" })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill("SUCCEEDED"));
    const outcomes = results.map((r) => JSON.parse(r.output!).outcome as string).sort();
    expect(outcomes).toEqual(["claimed", ...Array(9).fill("inProgress")]);
    const again = await h.run({ practiceId, devRefId: "Tenfold Dental" });
    expect(JSON.parse(again.output!)).toMatchObject({ outcome: "alreadyActive" });
    expect(keysWithDevRefId("Tenfold Dental")).toHaveLength(1);
    expect(callsSince(before)).toEqual(["POST 201", "PUT 200"]);
    // One practice onboarded once: one event, from the execution that claimed it.
    const claimed = results.find((r) => JSON.parse(r.output!).outcome === "claimed")!;
    expect(
      readPublishedEvents(h.eventsFile)
        .filter((e) => e.detail.practiceId === practiceId)
        .map((e) => [e["detail-type"], e.detail.executionName]),
    ).toEqual([["PracticeOnboarded", claimed.name]]);
    expect((await openedRecord(practiceId))?.status).toBe("ACTIVE");
  });

  it("disables the key and records FAILED with the portal's explanation when labeling is refused (400)", async () => {
    const practiceId = newPracticeId();
    const before = sim().calls().length;
    sim().queueFaults({
      kind: "status",
      method: "PUT",
      status: 400,
      body: JSON.stringify("DevRefId contains characters the portal does not allow."),
    });
    const result = await h.run({ practiceId, devRefId: "Refused Dental" });
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("PortalRejected");
    expect(result.cause).toContain("DevRefId contains characters the portal does not allow.");
    expect(callsSince(before)).toEqual(["POST 201", "PUT 400", "PUT 200"]);
    const record = await openedRecord(practiceId);
    const key = sim()
      .keys()
      .find((k) => k.CustomerKey === record?.customerKey);
    expect(key?.KeyStatus).toBe("DisabledByDeveloper");
    expect(record?.status).toBe("FAILED");
    expect(record?.failureReason).toContain("DevRefId contains characters the portal does not allow.");
    expect(record?.failureReason).toBe(result.cause);
    expect(eventsOfExecution(h.eventsFile, result.name)).toEqual([
      [
        "PracticeOnboardingFailed",
        {
          schemaVersion: "1",
          eventId: domainEventId("PracticeOnboardingFailed", result.name),
          occurredAt: record!.failedAt,
          executionName: result.name,
          practiceId,
          devRefId: "Refused Dental",
          maskedKey: testMask(key!.CustomerKey),
          reason: "PortalRejected",
          message: record!.failureReason,
        },
      ],
    ]);
  });

  it("disables the key and records FAILED when LabelKeyAndRecordActive's record fails after its label", async () => {
    const practiceId = newPracticeId();
    const denied = Object.assign(new Error("not authorized to perform dynamodb:UpdateItem"), {
      name: "AccessDeniedException",
    });
    h.failRecordWith = denied;
    try {
      const result = await h.run({ practiceId, devRefId: "Unrecorded Dental" });
      expect(result.status).toBe("FAILED");
      expect(result.error).toBe("AccessDeniedException");
      expect(result.cause).toBe("AccessDeniedException: not authorized to perform dynamodb:UpdateItem");
    } finally {
      h.failRecordWith = undefined;
    }
    const record = await openedRecord(practiceId);
    expect(record).toMatchObject({
      status: "FAILED",
      failureReason: "AccessDeniedException: not authorized to perform dynamodb:UpdateItem",
    });
    // Labeled by the same Task before its record failed, then disabled by the compensation.
    const [key] = keysWithDevRefId("Unrecorded Dental");
    expect(key).toMatchObject({ CustomerKey: record!.customerKey, KeyStatus: "DisabledByDeveloper" });
    expect((await h.store.listAudit(practiceId)).map((e) => e.action)).toContain("KEY_LABELED");
  });

  it("succeeds through 5xx and throttling bursts without an extra key", async () => {
    const practiceId = newPracticeId();
    const before = sim().calls().length;
    sim().queueFaults(
      { kind: "status", method: "POST", status: 503, times: 2 },
      { kind: "status", method: "PUT", status: 429, times: 2 },
    );
    const result = await h.run({ practiceId, devRefId: "Bursty Dental" });
    expect(result.status).toBe("SUCCEEDED");
    expect(callsSince(before)).toEqual(["POST 503", "POST 503", "POST 201", "PUT 429", "PUT 429", "PUT 200"]);
    expect(keysWithDevRefId("Bursty Dental")).toHaveLength(1);
    expect((await openedRecord(practiceId))?.status).toBe("ACTIVE");
  });

  it("retries a step KMS throttled past the SDK's own retries (KeyCustodyUnavailable), as it retries a portal 5xx", async () => {
    const practiceId = newPracticeId();
    // The label step opens the key first: more Decrypts are refused than the SDK attempts in one invocation.
    h.throttleKms("Decrypt", 8);
    let result: Awaited<ReturnType<OnboardingHarness["run"]>>;
    try {
      result = await h.run({ practiceId, devRefId: "Throttled Custody Dental" });
    } finally {
      h.throttleKms("Decrypt", 0);
    }
    const failures = h.engine
      .getExecutionHistory(result.executionArn!, { maxResults: 1000 })
      .events!.filter((e) => e.type === "LambdaFunctionFailed")
      .map((e) => e.lambdaFunctionFailedEventDetails!.error);
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures)).toEqual(new Set(["KeyCustodyUnavailable"]));
    expect(result.status).toBe("SUCCEEDED");
    expect(stateNames(result.executionArn!)).not.toContain("Compensate");
    expect(keysWithDevRefId("Throttled Custody Dental")).toMatchObject([{ KeyStatus: "Enabled" }]);
    expect((await openedRecord(practiceId))?.status).toBe("ACTIVE");
  });

  it("fails fast on 401 with no retries, naming the secret to check", async () => {
    const practiceId = newPracticeId();
    const before = sim().calls().length;
    const keysBefore = sim().keys().length;
    sim().queueFaults({ kind: "status", status: 401, times: 2, body: '"Invalid DeveloperPortalKey."' });
    const result = await h.run({ practiceId, devRefId: "Locked Out Dental" });
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("PortalUnauthorized");
    expect(result.cause).toContain(`check the DeveloperKey/DeveloperPortalKey in secret `);
    expect(result.cause).toContain(PORTAL_SECRET_NAME);
    // One request and the client's single retry with re-read credentials; Step Functions retries none.
    expect(callsSince(before)).toEqual(["POST 401", "POST 401"]);
    expect(sim().keys()).toHaveLength(keysBefore);
    expect((await openedRecord(practiceId))?.status).toBe("FAILED");
  });

  it("records a POST whose answer was lost, then onboards with a new key, leaving the lost one for reconciliation", async () => {
    const practiceId = newPracticeId();
    const keysBefore = sim().keys().length;
    sim().queueFaults({ kind: "commitThenDrop", method: "POST" });
    const result = await h.run({ practiceId, devRefId: "Lossy Dental" });
    expect(result.status).toBe("SUCCEEDED");
    const created = sim().keys().slice(keysBefore);
    expect(created).toHaveLength(2);
    const record = await openedRecord(practiceId);
    const [lost] = created.filter((k) => k.CustomerKey !== record?.customerKey);
    expect(lost).toMatchObject({ KeyStatus: "Enabled", DevRefId: "" });
    expect(await h.store.getKeyOwner(await h.store.fingerprint(lost!.CustomerKey))).toBeUndefined();
    expect(await h.store.getCreateAttempt(practiceId, result.name)).toMatchObject({
      status: "CREATED",
      attempts: 2,
      lostResponses: 1,
      maskedKey: record?.maskedKey,
    });
    expect((await h.store.listAudit(practiceId)).map((e) => e.action)).toEqual([
      "ONBOARDING_STARTED",
      "KEY_CREATE_RESPONSE_LOST",
      "KEY_CREATED",
      "KEY_LABELED",
      "ONBOARDING_COMPLETED",
    ]);
  });

  it("re-enables a returning practice's old key instead of creating one", async () => {
    const practiceId = newPracticeId();
    await h.run({ practiceId, devRefId: "Returning Dental" });
    const old = (await openedRecord(practiceId))!;
    // Offboarding as its workflow would: the key disabled in the portal, the practice OFFBOARDED.
    await createPortalClient({
      baseUrl: sim().url,
      credentials: async () => sim().credentials,
    }).updateKey({ customerKey: old.customerKey!, keyStatus: "DisabledByDeveloper" });
    await offboardPractice(h.store, { practiceId, executionName: "off-1" });
    const before = sim().calls().length;
    const result = await h.run({ practiceId, devRefId: "Returning Dental" });
    expect(result.status).toBe("SUCCEEDED");
    expect(JSON.parse(result.output!).outcome).toBe("returning");
    expect(callsSince(before)).toEqual(["PUT 200", "PUT 200"]);
    expect(await openedRecord(practiceId)).toMatchObject({
      status: "ACTIVE",
      customerKey: old.customerKey,
    });
    expect(
      sim()
        .keys()
        .find((k) => k.CustomerKey === old.customerKey)?.KeyStatus,
    ).toBe("Enabled");
    expect(eventsOfExecution(h.eventsFile, result.name)).toEqual([
      [
        "PracticeOnboarded",
        expect.objectContaining({ practiceId, maskedKey: old.maskedKey, keyOrigin: "reenabled" }),
      ],
    ]);
  });

  it("fails at once on invalid input and writes nothing", async () => {
    const before = sim().calls().length;
    const result = await h.run({ practiceId: "not valid!", devRefId: "x" });
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("InvalidInput");
    expect(result.cause).toContain("practiceId must be 1-64 characters");
    expect(callsSince(before)).toEqual([]);
    expect(await openedRecord("not valid!")).toBeUndefined();
  });

  it("never puts a full key or credential in an execution event, a log line or a domain event", () => {
    const secrets = [
      ...sim()
        .keys()
        .map((k) => k.CustomerKey),
      sim().credentials.developerKey,
      sim().credentials.developerPortalKey,
    ];
    expect(h.events.length).toBeGreaterThan(50);
    // The scan covers real logs: the handlers' debug line for every portal call is among them.
    expect(h.output.join("")).toContain('"message":"portal call"');
    // The events are scanned too: every outcome above published one.
    const published = readFileSync(h.eventsFile, "utf8");
    expect(published).toContain('"detail-type":"PracticeOnboardingFailed"');
    const haystacks = [...h.events.map((e) => JSON.stringify(e)), ...h.output, published];
    const leaks = secrets.filter((secret) => haystacks.some((text) => text.includes(secret)));
    expect(leaks.map(maskKeyTail)).toEqual([]);
  });
});
