// The synthesized state machines and claim-release rule on the local engine: an onboarding stopped mid-way has
// its claim released by the rule's function (key disabled, FAILED, PracticeOnboardingFailed), so the next
// onboarding of the practice onboards it instead of finding it "in progress".

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAIM_RELEASE_ACTOR } from "../../functions/claim-release/claim-release.js";
import { domainEventId } from "../../functions/domain-events/domain-event-id.js";
import { createPortalClient } from "../../functions/portal/portal-client.js";
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import { offboardPractice } from "../support/offboard-practice.js";
import { type OnboardingHarness, startOnboardingHarness } from "../support/onboarding-harness.js";
import { eventsOfExecution } from "../support/published-events.js";
import { testMask } from "../support/test-key-custody.js";

let h: OnboardingHarness;
let practice = 0;

beforeAll(async () => {
  h = await startOnboardingHarness({ maxRps: 20, releaseClaims: true });
});
afterAll(() => h?.close());

const sim = () => h.simulator!;
const newPracticeId = () => `release-wf-${++practice}`;

/**
 * Starts an execution whose first portal PUT (onboarding's LabelKeyAndRecordActive, offboarding's DisableKey) the portal never
 * answers, and resolves once that PUT has arrived: the execution is then mid-way, holding the practice.
 */
async function startHangingAtPut(stateMachineArn: string, name: string, input: unknown) {
  const from = sim().calls().length;
  sim().queueFaults({ kind: "timeout", method: "PUT" });
  const { executionArn } = await h.engine.startExecution({
    stateMachineArn,
    name,
    input: JSON.stringify(input),
  });
  const arrived = () =>
    sim()
      .calls()
      .slice(from)
      .some((call) => call.method === "PUT" && call.fault === "queued:timeout");
  // The simulator has no arrival hook: poll its call log until the held PUT is there.
  const deadline = Date.now() + 10_000;
  while (!arrived()) {
    if (Date.now() > deadline) throw new Error("the held PUT never reached the portal");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return executionArn;
}

async function startHangingAtLabel(practiceId: string, devRefId: string) {
  const name = `stopped-${practiceId}`;
  const input = { practiceId, devRefId, requestedBy: "crm-webhook:m1" };
  return { name, executionArn: await startHangingAtPut(h.stateMachineArn, name, input) };
}

/**
 * The practice record with its key opened, as the test (holding the local administrator's credentials) compares it
 * with the portal's keys; the table itself holds only the ciphertext (docs/architecture.md §4 invariant 13).
 */
async function openedRecord(practiceId: string): Promise<PracticeRecord | undefined> {
  const record = await h.store.getPractice(practiceId);
  return record?.customerKey ? { ...record, customerKey: await h.store.revealCustomerKey(record) } : record;
}

describe("Claim release on the local engine", () => {
  it("releases a stopped onboarding's claim: key disabled, practice FAILED, PracticeOnboardingFailed announced", async () => {
    const practiceId = newPracticeId();
    const { name, executionArn } = await startHangingAtLabel(practiceId, "Stopped Dental");

    await h.engine.stopExecution(executionArn, { error: "Operator", cause: "stopped by test" });
    await h.deliveriesSettled();

    const record = await openedRecord(practiceId);
    expect(record).toMatchObject({
      status: "FAILED",
      lastExecution: name,
      failureReason: "States.Aborted: stopped by test",
    });
    // The key the execution created, never labeled (its PUT was held), now disabled.
    const key = sim()
      .keys()
      .find((k) => k.CustomerKey === record!.customerKey);
    expect(key).toMatchObject({ KeyStatus: "DisabledByDeveloper", DevRefId: "" });
    expect(h.deliveries.filter((d) => d.executionName === name)).toEqual([
      {
        rule: expect.stringMatching(/^ClaimReleaseExecutionEndedWithoutRelease/),
        function: expect.stringMatching(/^ClaimReleaseFunction/),
        executionName: name,
        status: "ABORTED",
        result: {
          outcome: "released",
          workflow: "onboarding",
          practiceId,
          status: "FAILED",
          keyDisabled: true,
          eventRecorded: true,
        },
        attempts: 1,
      },
    ]);
    expect(eventsOfExecution(h.eventsFile, name)).toEqual([
      [
        "PracticeOnboardingFailed",
        {
          schemaVersion: "1",
          eventId: domainEventId("PracticeOnboardingFailed", name),
          occurredAt: record!.failedAt,
          executionName: name,
          practiceId,
          devRefId: "Stopped Dental",
          maskedKey: testMask(key!.CustomerKey),
          reason: "States.Aborted",
          message: "States.Aborted: stopped by test",
        },
      ],
    ]);
    const audit = await h.store.listAudit(practiceId);
    expect(audit.at(-1)).toMatchObject({
      action: "ONBOARDING_FAILED",
      actor: CLAIM_RELEASE_ACTOR,
      executionName: name,
    });
  });

  it("retries a release the portal refused for the moment (503), as Lambda retries an asynchronous invocation", async () => {
    const practiceId = newPracticeId();
    const { name, executionArn } = await startHangingAtLabel(practiceId, "Retried Dental");
    // The release's disabling PUT: refused once, then accepted.
    sim().queueFaults({ kind: "status", method: "PUT", status: 503 });

    await h.engine.stopExecution(executionArn, { error: "Operator", cause: "stopped by test" });
    await h.deliveriesSettled();

    expect(h.deliveries.filter((d) => d.executionName === name)).toEqual([
      expect.objectContaining({
        status: "ABORTED",
        result: expect.objectContaining({ outcome: "released", status: "FAILED", keyDisabled: true }),
        attempts: 2,
      }),
    ]);
    const record = await openedRecord(practiceId);
    expect(record?.status).toBe("FAILED");
    expect(
      sim()
        .keys()
        .find((k) => k.CustomerKey === record!.customerKey)?.KeyStatus,
    ).toBe("DisabledByDeveloper");
  });

  it("lets a new onboarding onboard the practice a stopped execution had claimed", async () => {
    const practiceId = newPracticeId();
    const { executionArn } = await startHangingAtLabel(practiceId, "Second Try Dental");
    await h.engine.stopExecution(executionArn);
    await h.deliveriesSettled();

    const retried = await h.run({ practiceId, devRefId: "Second Try Dental" });

    expect(retried.status).toBe("SUCCEEDED");
    expect(JSON.parse(retried.output!)).toMatchObject({ outcome: "claimed" });
    const record = await openedRecord(practiceId);
    expect(record).toMatchObject({ status: "ACTIVE", lastExecution: retried.name });
    expect(
      sim()
        .keys()
        .find((k) => k.CustomerKey === record!.customerKey),
    ).toMatchObject({
      KeyStatus: "Enabled",
      DevRefId: "Second Try Dental",
    });
  });

  it("changes nothing for an execution that compensated itself: the delivery finds the claim released", async () => {
    const practiceId = newPracticeId();
    h.failRecordWith = Object.assign(new Error("record refused"), { name: "RecordRefused" });
    let failed: Awaited<ReturnType<OnboardingHarness["run"]>>;
    try {
      failed = await h.run({ practiceId, devRefId: "Compensated Dental" });
    } finally {
      h.failRecordWith = undefined;
    }

    expect(failed.status).toBe("FAILED");
    expect(h.deliveries.filter((d) => d.executionName === failed.name)).toEqual([
      expect.objectContaining({
        status: "FAILED",
        result: { outcome: "alreadyReleased", workflow: "onboarding", practiceId, status: "FAILED" },
      }),
    ]);
    // One PracticeOnboardingFailed, the workflow's own; the audit trail has no claim-release entry.
    expect(eventsOfExecution(h.eventsFile, failed.name).map(([type]) => type)).toEqual([
      "PracticeOnboardingFailed",
    ]);
    expect((await h.store.listAudit(practiceId)).map((e) => e.actor)).not.toContain(CLAIM_RELEASE_ACTOR);
  });

  it("puts a practice whose offboarding was stopped back to ACTIVE, its key still enabled", async () => {
    const practiceId = newPracticeId();
    const onboarded = await h.run({ practiceId, devRefId: "Staying Dental" });
    expect(onboarded.status).toBe("SUCCEEDED");
    const offboardingArn = h.engine
      .stateMachines()
      .find((sm) => sm.logicalId.startsWith("OffboardingStateMachine"))!.stateMachineArn;
    const name = `offboard-stopped-${practiceId}`;
    const executionArn = await startHangingAtPut(offboardingArn, name, {
      practiceId,
      reason: "Churned",
      requestedBy: "ops:alice",
    });
    expect(await openedRecord(practiceId)).toMatchObject({ status: "OFFBOARDING" });

    await h.engine.stopExecution(executionArn);
    await h.deliveriesSettled();

    const record = await openedRecord(practiceId);
    expect(record).toMatchObject({
      status: "ACTIVE",
      lastExecution: onboarded.name,
      offboarding: {
        executionName: name,
        failureReason: `States.Aborted: execution ${name} was stopped before releasing its claim`,
      },
    });
    expect(
      sim()
        .keys()
        .find((k) => k.CustomerKey === record!.customerKey)?.KeyStatus,
    ).toBe("Enabled");
    expect(h.deliveries.filter((d) => d.executionName === name).map((d) => d.result)).toEqual([
      { outcome: "released", workflow: "offboarding", practiceId, status: "ACTIVE" },
    ]);
    expect((await h.store.listAudit(practiceId)).at(-1)).toMatchObject({
      action: "OFFBOARDING_FAILED",
      actor: CLAIM_RELEASE_ACTOR,
      executionName: name,
    });
  });
});

describe("Convergence after a stop (issue 14, symptom 5)", () => {
  /** An OFFBOARDED practice whose key we disabled, as the offboarding workflow leaves it. */
  async function offboardedPractice(devRefId: string) {
    const practiceId = newPracticeId();
    expect((await h.run({ practiceId, devRefId })).status).toBe("SUCCEEDED");
    const old = (await openedRecord(practiceId))!;
    await createPortalClient({
      baseUrl: sim().url,
      credentials: async () => sim().credentials,
    }).updateKey({ customerKey: old.customerKey!, keyStatus: "DisabledByDeveloper" });
    await offboardPractice(h.store, { practiceId, executionName: `off-${practiceId}` });
    return { practiceId, customerKey: old.customerKey! };
  }

  it("leaves the key disabled when a stopped returning onboarding's PUT Enabled lands after the claim release", async () => {
    const { practiceId, customerKey } = await offboardedPractice("Stopped Returning Dental");
    const from = sim().calls().length;
    // The PUT Enabled is held 1.5 s, then applied: the stop and the claim release happen meanwhile.
    sim().queueFaults({ kind: "slow", method: "PUT", ms: 1500 });
    const name = `stopped-returning-${practiceId}`;
    const { executionArn } = await h.engine.startExecution({
      stateMachineArn: h.stateMachineArn,
      name,
      input: JSON.stringify({
        practiceId,
        devRefId: "Stopped Returning Dental",
        requestedBy: "crm-webhook:m9",
      }),
    });
    const landed = () =>
      sim()
        .calls()
        .slice(from)
        .find(
          (call) => call.method === "PUT" && call.fault?.startsWith("queued:slow") && call.status !== null,
        );
    const deadline = Date.now() + 10_000;
    while (
      !sim()
        .calls()
        .slice(from)
        .some((call) => call.method === "PUT")
    ) {
      if (Date.now() > deadline) throw new Error("the PUT Enabled never reached the portal");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    await h.engine.stopExecution(executionArn, { error: "Operator", cause: "stopped by test" });
    await h.deliveriesSettled();
    expect((await openedRecord(practiceId))?.status).toBe("FAILED");
    while (!landed()) {
      if (Date.now() > deadline) throw new Error("the held PUT Enabled never landed");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The stopped execution's invocation goes on to its end, as a Lambda invocation does after StopExecution.
    const settle = Date.now() + 5_000;
    while (
      sim()
        .keys()
        .find((k) => k.CustomerKey === customerKey)?.KeyStatus !== "DisabledByDeveloper"
    ) {
      if (Date.now() > settle) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(await openedRecord(practiceId)).toMatchObject({ status: "FAILED", lastExecution: name });
    const key = sim()
      .keys()
      .find((k) => k.CustomerKey === customerKey)!;
    expect(key.KeyStatus).toBe("DisabledByDeveloper");
    // Enabled by the held PUT, then disabled again by the invocation that sent it.
    expect(key.history.slice(-2).map((event) => event.request?.KeyStatus)).toEqual([
      "Enabled",
      "DisabledByDeveloper",
    ]);
  });

  it("leaves the key enabled when a stopped offboarding's PUT Disabled lands after the practice was put back to ACTIVE", async () => {
    const practiceId = newPracticeId();
    expect((await h.run({ practiceId, devRefId: "Staying Late Dental" })).status).toBe("SUCCEEDED");
    const customerKey = (await openedRecord(practiceId))!.customerKey!;
    const offboardingArn = h.engine
      .stateMachines()
      .find((sm) => sm.logicalId.startsWith("OffboardingStateMachine"))!.stateMachineArn;
    const from = sim().calls().length;
    sim().queueFaults({ kind: "slow", method: "PUT", ms: 1500 });
    const { executionArn } = await h.engine.startExecution({
      stateMachineArn: offboardingArn,
      name: `offboard-slow-${practiceId}`,
      input: JSON.stringify({ practiceId, reason: "Churned", requestedBy: "ops:alice" }),
    });
    const deadline = Date.now() + 10_000;
    while (
      !sim()
        .calls()
        .slice(from)
        .some((call) => call.method === "PUT")
    ) {
      if (Date.now() > deadline) throw new Error("the PUT Disabled never reached the portal");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    await h.engine.stopExecution(executionArn);
    await h.deliveriesSettled();
    expect((await openedRecord(practiceId))?.status).toBe("ACTIVE");
    const portalStatus = () =>
      sim()
        .keys()
        .find((k) => k.CustomerKey === customerKey)?.KeyStatus;
    const settle = Date.now() + 8_000;
    // Wait for the held PUT to land, then for the invocation that sent it to finish.
    while (
      !(
        sim()
          .calls()
          .slice(from)
          .filter((call) => call.method === "PUT").length >= 2
      ) &&
      Date.now() < settle
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(await openedRecord(practiceId)).toMatchObject({ status: "ACTIVE", customerKey });
    expect(portalStatus()).toBe("Enabled");
  });
});
