// The offboarding steps and their store methods against DynamoDB Local and the portal simulator over HTTP:
// the retries, races and partial failures the workflow tests cannot place exactly.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  claimPracticeForOffboarding,
  compensateOffboarding,
  disablePracticeKey,
  type OffboardingDeps,
  recordPracticeOffboarded,
} from "../../../functions/offboarding/offboarding-steps.js";
import { createPracticeKey } from "../../../functions/onboarding/onboarding-steps.js";
import { ClaimLost, KeyConflict, PracticeBusy } from "../../../functions/platform/errors.js";
import { createPortalClient } from "../../../functions/portal/portal-client.js";
import { DynamoDbRateLimiter } from "../../../functions/portal/portal-rate-limiter.js";
import type { PracticeStore } from "../../../functions/practice/practice-store.js";
import { type PortalSimulator, startPortalSimulator } from "../../../local/portal-simulator.js";
import { createTestDocumentTable } from "../../support/document-client.js";
import { testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

const SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:practice-onboarding/portal-credentials";
const REASON = "Churned";

let simulator: PortalSimulator;
let deps: OffboardingDeps;
let store: PracticeStore;
let counter = 0;
let seed = 100;

beforeAll(async () => {
  const table = await createTestDocumentTable();
  store = testPracticeStore(table);
  // One rate limiter item for the file, shared with every simulator below.
  const rateLimiter = new DynamoDbRateLimiter({
    client: table.client,
    tableName: table.tableName,
    maxRps: 50,
  });
  deps = {
    store,
    portalSecretName: SECRET,
    portal: {
      listKeys: () => portal().listKeys(),
      listKeysPage: (offset) => portal().listKeysPage(offset),
      createKey: () => portal().createKey(),
      updateKey: (request) => portal().updateKey(request),
    },
  };
  const portal = () =>
    createPortalClient({
      baseUrl: simulator.url,
      credentials: async () => simulator.credentials,
      rateLimiter,
      timeoutMs: 2000,
    });
});

// A simulator per test with its own PRNG seed, so keys never repeat across tests sharing the one table.
beforeEach(async () => {
  seed += 1;
  simulator = await startPortalSimulator({ random: seed });
});
afterEach(() => simulator.stop());

/** An ACTIVE practice holding an enabled key of the simulator, as onboarding leaves it. */
async function activePractice() {
  counter += 1;
  const onboarding = {
    practiceId: `offstep-${counter}`,
    executionName: `onboard-${counter}`,
    requestedBy: "crm-webhook:m1",
  };
  await store.claimForOnboarding({ ...onboarding, devRefId: `Dental ${counter}` });
  await createPracticeKey(deps, onboarding);
  const active = await store.markActive({ ...onboarding, expectedVersion: 2 });
  return {
    practiceId: onboarding.practiceId,
    // The key itself (the record holds its ciphertext): what the simulator and the masks know it by.
    customerKey: await store.revealCustomerKey(active),
    offboarding: { practiceId: onboarding.practiceId, executionName: `offboard-${counter}` },
  };
}

async function claimed() {
  const practice = await activePractice();
  await claimPracticeForOffboarding(
    { store },
    {
      input: { practiceId: practice.practiceId, reason: REASON, requestedBy: "ops:alice" },
      executionName: practice.offboarding.executionName,
    },
  );
  return practice;
}

/** `METHOD status` of the portal requests made after the first `from`. */
const callsSince = (from: number) =>
  simulator
    .calls()
    .slice(from)
    .map((c) => `${c.method} ${c.status}`);
const actions = async (practiceId: string) => (await store.listAudit(practiceId)).map((e) => e.action);

describe("claimPracticeForOffboarding", () => {
  it("lets exactly one of 10 concurrent executions claim a practice; the others fail with PracticeBusy", async () => {
    const { practiceId } = await activePractice();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        claimPracticeForOffboarding(
          { store },
          { input: { practiceId, reason: REASON, requestedBy: "ops:alice" }, executionName: `race-${i}` },
        ),
      ),
    );
    const claims = results.filter((r) => r.status === "fulfilled");
    expect(claims).toHaveLength(1);
    const refusals = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    expect(refusals).toHaveLength(9);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(PracticeBusy);
    expect((await actions(practiceId)).filter((a) => a === "OFFBOARDING_STARTED")).toHaveLength(1);
  });

  it("gives a retried claim of the same execution its claim back, writing nothing more", async () => {
    const { practiceId, customerKey, offboarding } = await claimed();
    const record = await store.getPractice(practiceId);
    const again = await claimPracticeForOffboarding(
      { store },
      {
        input: { practiceId, reason: REASON, requestedBy: "ops:alice" },
        executionName: offboarding.executionName,
      },
    );
    expect(again).toEqual({
      practiceId,
      outcome: "claimed",
      maskedKey: testMask(customerKey),
      previousStatus: "ACTIVE",
    });
    expect(await store.getPractice(practiceId)).toEqual(record);
    expect((await actions(practiceId)).filter((a) => a === "OFFBOARDING_STARTED")).toHaveLength(1);
  });
});

describe("disablePracticeKey", () => {
  it("sends no second PUT when retried after it recorded the key disabled", async () => {
    const { customerKey, offboarding } = await claimed();
    const before = simulator.calls().length;
    const first = await disablePracticeKey(deps, offboarding);
    const again = await disablePracticeKey(deps, offboarding);
    expect(again).toEqual(first);
    expect(first).toEqual({
      maskedKey: testMask(customerKey),
      keyDisabled: true,
      keyMissingInPortal: false,
    });
    // The key's status is read first: a revoked key gets no PUT (see the next tests).
    expect(callsSince(before)).toEqual(["GET 200", "PUT 200"]);
  });

  it("counts a key Open Dental HQ already disabled as disabled, recording the status the portal answered", async () => {
    const { practiceId, customerKey, offboarding } = await activePractice();
    simulator.reset(); // the key as the portal now holds it: disabled by Open Dental HQ
    simulator.addKeys([{ CustomerKey: customerKey, KeyStatus: "DisabledByHQ" }]);
    await claimPracticeForOffboarding(
      { store },
      { input: { practiceId, reason: REASON }, executionName: offboarding.executionName },
    );
    expect(await disablePracticeKey(deps, offboarding)).toMatchObject({ keyDisabled: true });
    expect((await store.getPractice(practiceId))?.offboarding?.portalKeyStatus).toBe("DisabledByHQ");
    expect(simulator.keys().find((k) => k.CustomerKey === customerKey)?.KeyStatus).toBe("DisabledByHQ");
    expect(simulator.calls().map((c) => c.method)).toEqual(["GET"]);
  });

  it("sends no PUT to a key its practice disabled, and records it as already disabled", async () => {
    const { practiceId, customerKey, offboarding } = await activePractice();
    simulator.reset();
    simulator.addKeys([{ CustomerKey: customerKey, KeyStatus: "DisabledByCustomer" }]);
    await claimPracticeForOffboarding(
      { store },
      { input: { practiceId, reason: REASON }, executionName: offboarding.executionName },
    );
    expect(await disablePracticeKey(deps, offboarding)).toMatchObject({ keyDisabled: true });
    const recorded = await recordPracticeOffboarded(deps, offboarding);
    expect(recorded.event).toMatchObject({ alreadyDisabled: true });
    expect(simulator.calls().map((c) => c.method)).toEqual(["GET"]);
    expect(simulator.keys()[0]!.history).toEqual([]);
  });

  it("throws ClaimLost without a portal call when the practice is not offboarding by this execution", async () => {
    const { practiceId, offboarding } = await activePractice();
    const before = simulator.calls().length;
    await expect(disablePracticeKey(deps, offboarding)).rejects.toThrow(
      new ClaimLost(
        `practice ${practiceId} is ACTIVE by execution onboard-${counter}, not OFFBOARDING by ${offboarding.executionName}`,
      ),
    );
    expect(callsSince(before)).toEqual([]);
  });

  it("makes no portal call for a practice without a key, which is then recorded OFFBOARDED", async () => {
    counter += 1;
    const practiceId = `offstep-${counter}`;
    await store.claimForOnboarding({
      practiceId,
      devRefId: "Keyless",
      executionName: `onboard-${counter}`,
      requestedBy: "crm-webhook:m1",
    });
    await store.markFailed({
      practiceId,
      executionName: `onboard-${counter}`,
      reason: "PortalUnauthorized: x",
    });
    const offboarding = { practiceId, executionName: `offboard-${counter}` };
    await claimPracticeForOffboarding(
      { store },
      { input: { practiceId, reason: REASON }, executionName: offboarding.executionName },
    );
    expect(await disablePracticeKey(deps, offboarding)).toEqual({
      maskedKey: null,
      keyDisabled: false,
      keyMissingInPortal: false,
    });
    expect(await recordPracticeOffboarded({ store }, offboarding)).toMatchObject({ status: "OFFBOARDED" });
    expect(callsSince(0)).toEqual([]);
  });
});

describe("recordPracticeOffboarded", () => {
  it("refuses to mark OFFBOARDED a practice whose key was never recorded disabled", async () => {
    const { practiceId, customerKey, offboarding } = await claimed();
    await expect(recordPracticeOffboarded({ store }, offboarding)).rejects.toThrow(
      new KeyConflict(
        `practice ${practiceId} holds key ${testMask(customerKey)}, not recorded disabled; not marking it OFFBOARDED`,
      ),
    );
    expect((await store.getPractice(practiceId))?.status).toBe("OFFBOARDING");
  });

  it("is a no-op the second time", async () => {
    const { practiceId, offboarding } = await claimed();
    await disablePracticeKey(deps, offboarding);
    const first = await recordPracticeOffboarded({ store }, offboarding);
    const again = await recordPracticeOffboarded({ store }, offboarding);
    expect(again).toEqual(first);
    expect((await actions(practiceId)).filter((a) => a === "OFFBOARDING_COMPLETED")).toHaveLength(1);
  });
});

describe("compensateOffboarding", () => {
  it("puts the practice back to ACTIVE, noting the key was already disabled, when recording failed", async () => {
    const { practiceId, customerKey, offboarding } = await claimed();
    await disablePracticeKey(deps, offboarding);
    const error = { Error: "AccessDeniedException", Cause: JSON.stringify({ errorMessage: "not allowed" }) };

    const result = await compensateOffboarding({ store }, { ...offboarding, error });

    expect(result).toEqual({
      restored: true,
      status: "ACTIVE",
      reason: "AccessDeniedException: not allowed",
    });
    const record = await store.getPractice(practiceId);
    expect(record).toMatchObject({
      status: "ACTIVE",
      lastExecution: `onboard-${counter}`,
      requestedBy: "crm-webhook:m1",
    });
    expect(await store.revealCustomerKey(record!)).toBe(customerKey);
    const [last] = (await store.listAudit(practiceId)).slice(-1);
    expect(last).toMatchObject({
      action: "OFFBOARDING_FAILED",
      actor: "ops:alice",
      details: {
        reason: "AccessDeniedException: not allowed",
        restoredStatus: "ACTIVE",
        maskedKey: testMask(customerKey),
        keyDisabled: true,
      },
    });
  });

  it("is a no-op the second time", async () => {
    const { practiceId, offboarding } = await claimed();
    const error = { Error: "PortalUnauthorized", Cause: "refused" };
    const first = await compensateOffboarding({ store }, { ...offboarding, error });
    const record = await store.getPractice(practiceId);
    const again = await compensateOffboarding({ store }, { ...offboarding, error });
    expect(again).toEqual(first);
    expect(await store.getPractice(practiceId)).toEqual(record);
    expect((await actions(practiceId)).filter((a) => a === "OFFBOARDING_FAILED")).toHaveLength(1);
  });

  it("changes nothing but the audit trail when the practice is no longer this execution's", async () => {
    const { practiceId, offboarding } = await activePractice();
    const record = await store.getPractice(practiceId);
    const result = await compensateOffboarding(
      { store },
      { ...offboarding, error: { Error: "X", Cause: "y" } },
    );
    expect(result).toEqual({ restored: false, status: "ACTIVE", reason: "X: y" });
    expect(await store.getPractice(practiceId)).toEqual(record);
    expect((await actions(practiceId)).slice(-1)).toEqual(["OFFBOARDING_COMPENSATION_SKIPPED"]);
  });
});
