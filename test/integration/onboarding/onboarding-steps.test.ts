import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  compensateOnboarding,
  createPracticeKey,
  labelKeyAndRecordActive,
  labelPracticeKey,
  type OnboardingDeps,
  reenablePreviousKey,
} from "../../../functions/onboarding/onboarding-steps.js";
import { describeCaughtError } from "../../../functions/platform/caught-error.js";
import { createPortalClient } from "../../../functions/portal/portal-client.js";
import { DynamoDbRateLimiter } from "../../../functions/portal/portal-rate-limiter.js";
import type { PracticeStore } from "../../../functions/practice/practice-store.js";
import { type PortalSimulator, startPortalSimulator } from "../../../local/portal-simulator.js";
import { createTestDocumentTable } from "../../support/document-client.js";
import { offboardPractice } from "../../support/offboard-practice.js";
import { testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

const SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:practice-onboarding/portal-credentials";

let simulator: PortalSimulator;
let deps: OnboardingDeps;
let store: PracticeStore;
let table: Awaited<ReturnType<typeof createTestDocumentTable>>;
let counter = 0;
let seed = 0;

beforeAll(async () => {
  table = await createTestDocumentTable();
  store = testPracticeStore(table);
});

// A simulator per test, each with its own PRNG seed: a reset simulator would hand out the same keys again,
// and every test shares the one table.
beforeEach(async () => {
  seed += 1;
  simulator = await startPortalSimulator({ random: seed });
  const portal = createPortalClient({
    baseUrl: simulator.url,
    credentials: async () => simulator.credentials,
    rateLimiter: new DynamoDbRateLimiter({ client: table.client, tableName: table.tableName, maxRps: 50 }),
    timeoutMs: 2000,
  });
  deps = { store, portal, portalSecretName: SECRET };
});
afterEach(() => simulator.stop());

/** A practice claimed by a fresh execution: the state every step after the claim starts from. */
async function claimed() {
  counter += 1;
  const input = {
    practiceId: `step-${counter}`,
    executionName: `exec-${counter}`,
    requestedBy: "crm-webhook:m1",
  };
  await store.claimForOnboarding({ ...input, devRefId: `Dental ${counter}` });
  return input;
}

const masked = testMask;
const portalCalls = () =>
  simulator.calls().map((c) => `${c.method} ${c.status}${c.fault ? ` ${c.fault}` : ""}`);

describe("createPracticeKey", () => {
  it("POSTs once and records the key; the retried step returns the same key without a second POST", async () => {
    const input = await claimed();
    const first = await createPracticeKey(deps, input);
    const [key] = simulator.keys();
    expect(first).toEqual({ maskedKey: masked(key!.CustomerKey), created: true });
    expect(await createPracticeKey(deps, input)).toEqual({
      maskedKey: masked(key!.CustomerKey),
      created: false,
    });
    expect(portalCalls()).toEqual(["POST 201"]);
    expect(await store.revealCustomerKey((await store.getPractice(input.practiceId))!)).toBe(
      key!.CustomerKey,
    );
  });

  it("marks the attempt LOST_RESPONSE when the portal commits and drops the answer, then records the retry's key", async () => {
    const input = await claimed();
    simulator.queueFaults({ kind: "commitThenDrop", method: "POST" });
    await expect(createPracticeKey(deps, input)).rejects.toMatchObject({
      name: "PortalUnavailable",
      outcomeUnknown: true,
    });
    expect((await store.getPractice(input.practiceId))?.customerKey).toBeUndefined();
    expect(await store.getCreateAttempt(input.practiceId, input.executionName)).toMatchObject({
      status: "LOST_RESPONSE",
      attempts: 1,
      lostResponses: 1,
    });
    const retried = await createPracticeKey(deps, input);
    const [lost, kept] = simulator.keys();
    expect(retried.maskedKey).toBe(masked(kept!.CustomerKey));
    // The lost key stays enabled and unmapped: reconciliation finds it through the attempt record.
    expect(lost).toMatchObject({ KeyStatus: "Enabled", DevRefId: "" });
    expect(await store.getKeyOwner(await store.fingerprint(lost!.CustomerKey))).toBeUndefined();
    expect(await store.getCreateAttempt(input.practiceId, input.executionName)).toMatchObject({
      status: "CREATED",
      attempts: 2,
      lostResponses: 1,
      maskedKey: masked(kept!.CustomerKey),
    });
    expect((await store.listAudit(input.practiceId)).map((e) => e.action)).toEqual([
      "ONBOARDING_STARTED",
      "KEY_CREATE_RESPONSE_LOST",
      "KEY_CREATED",
    ]);
  });

  it("names the credentials secret when the portal answers 401", async () => {
    const input = await claimed();
    simulator.queueFaults({ kind: "status", status: 401, body: '"Invalid DeveloperPortalKey"', times: 2 });
    const error = (await createPracticeKey(deps, input).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe("PortalUnauthorized");
    expect(error.message).toContain(`check the DeveloperKey/DeveloperPortalKey in secret ${SECRET}`);
    expect(simulator.keys()).toEqual([]);
  });
});

describe("labelPracticeKey", () => {
  it("PUTs the DevRefId on the practice's key and audits it", async () => {
    const input = await claimed();
    await createPracticeKey(deps, input);
    const result = await labelPracticeKey(deps, { ...input, devRefId: "Sarah's Super Dental" });
    const [key] = simulator.keys();
    expect(key!.DevRefId).toBe("Sarah's Super Dental");
    expect(result).toEqual({ maskedKey: masked(key!.CustomerKey), devRefId: "Sarah's Super Dental" });
    expect((await store.listAudit(input.practiceId)).at(-1)).toMatchObject({
      action: "KEY_LABELED",
      details: { maskedKey: masked(key!.CustomerKey), devRefId: "Sarah's Super Dental" },
    });
  });
});

describe("labelKeyAndRecordActive", () => {
  it("labels the key, then records the practice ACTIVE with its PracticeOnboarded event", async () => {
    const input = { ...(await claimed()), devRefId: "One Task Dental" };
    await createPracticeKey(deps, input);
    const result = await labelKeyAndRecordActive(deps, input);
    const [key] = simulator.keys();
    const practice = await store.getPractice(input.practiceId);
    expect(key).toMatchObject({ DevRefId: "One Task Dental", KeyStatus: "Enabled" });
    expect(practice).toMatchObject({ status: "ACTIVE", lastExecution: input.executionName });
    expect(result).toMatchObject({
      maskedKey: masked(key!.CustomerKey),
      devRefId: "One Task Dental",
      status: "ACTIVE",
      version: practice!.version,
      event: { type: "PracticeOnboarded", practiceId: input.practiceId, executionName: input.executionName },
    });
    expect((await store.listAudit(input.practiceId)).map((e) => e.action).slice(-2)).toEqual([
      "KEY_LABELED",
      "ONBOARDING_COMPLETED",
    ]);
  });

  it("re-sends the PUT when retried after a refused record, and records then", async () => {
    const input = { ...(await claimed()), devRefId: "Retried Dental" };
    await createPracticeKey(deps, input);
    const refused = Object.assign(new Error("transaction cancelled"), { name: "ConcurrentModification" });
    const failing = Object.create(store, { markActive: { value: () => Promise.reject(refused) } });
    await expect(labelKeyAndRecordActive({ ...deps, store: failing }, input)).rejects.toBe(refused);
    expect((await store.getPractice(input.practiceId))?.status).toBe("ONBOARDING");
    await labelKeyAndRecordActive(deps, input);
    expect(portalCalls()).toEqual(["POST 201", "PUT 200", "PUT 200"]);
    expect((await store.getPractice(input.practiceId))?.status).toBe("ACTIVE");
  });

  it("returns the same result without a portal call when retried after its record committed", async () => {
    const input = { ...(await claimed()), devRefId: "Answer Lost Dental" };
    await createPracticeKey(deps, input);
    const first = await labelKeyAndRecordActive(deps, input);
    const calls = portalCalls().length;
    expect(await labelKeyAndRecordActive(deps, input)).toEqual(first);
    expect(portalCalls()).toHaveLength(calls);
  });

  it("fails with ClaimLost, labeling nothing, when another execution holds the practice", async () => {
    const input = { ...(await claimed()), devRefId: "Taken Dental" };
    await createPracticeKey(deps, input);
    await expect(
      labelKeyAndRecordActive(deps, { ...input, executionName: "someone-else" }),
    ).rejects.toMatchObject({ name: "ClaimLost" });
    expect(simulator.keys()[0]!.DevRefId).toBe("");
    expect((await store.getPractice(input.practiceId))?.status).toBe("ONBOARDING");
  });
});

describe("compensateOnboarding", () => {
  it("disables the created key and records FAILED with the caught error's message", async () => {
    const input = await claimed();
    await createPracticeKey(deps, input);
    const error = {
      Error: "PortalRejected",
      Cause: JSON.stringify({
        errorType: "PortalRejected",
        errorMessage: "PUT /apikeys: 400 BadRequest: no",
      }),
    };
    const result = await compensateOnboarding(deps, { ...input, error });
    const practice = await store.getPractice(input.practiceId);
    expect(result).toEqual({
      status: "FAILED",
      reason: "PortalRejected: PUT /apikeys: 400 BadRequest: no",
      keyDisabled: true,
      event: {
        type: "PracticeOnboardingFailed",
        executionName: input.executionName,
        occurredAt: practice!.failedAt,
        practiceId: input.practiceId,
        devRefId: practice!.devRefId,
        maskedKey: testMask(simulator.keys()[0]!.CustomerKey),
        reason: "PortalRejected",
        message: "PortalRejected: PUT /apikeys: 400 BadRequest: no",
      },
    });
    expect(simulator.keys()[0]!.KeyStatus).toBe("DisabledByDeveloper");
    expect(practice).toMatchObject({ status: "FAILED", failureReason: result.reason });
    expect((await store.getKeyOwner(practice!.keyFingerprint!))?.disabledAt).toBeDefined();
  });

  it("marks FAILED without a portal call when no key was created", async () => {
    const input = await claimed();
    const result = await compensateOnboarding(deps, { ...input, error: { Error: "States.Timeout" } });
    expect(result).toEqual({
      status: "FAILED",
      reason: "States.Timeout",
      keyDisabled: null,
      event: {
        type: "PracticeOnboardingFailed",
        executionName: input.executionName,
        occurredAt: (await store.getPractice(input.practiceId))!.failedAt,
        practiceId: input.practiceId,
        devRefId: expect.any(String),
        reason: "States.Timeout",
        message: "States.Timeout",
      },
    });
    expect(portalCalls()).toEqual([]);
  });

  it("is a no-op the second time", async () => {
    const input = await claimed();
    await createPracticeKey(deps, input);
    const first = await compensateOnboarding(deps, { ...input, error: { Error: "X", Cause: "first" } });
    const again = await compensateOnboarding(deps, { ...input, error: { Error: "X", Cause: "first" } });
    // The same event as the first time, so a retried step publishes an exact repeat.
    expect(again).toEqual({ status: "FAILED", reason: "X: first", keyDisabled: null, event: first.event });
    expect(portalCalls()).toEqual(["POST 201", "PUT 200"]);
  });
});

describe("reenablePreviousKey", () => {
  async function returningPractice(keyStatus: string) {
    const input = await claimed();
    await createPracticeKey(deps, input);
    await store.markActive({ ...input, expectedVersion: 2 });
    await offboardPractice(store, { practiceId: input.practiceId, executionName: `off-${counter}` });
    const key = simulator.keys()[0]!;
    simulator.reset(); // the returning practice's key, as the portal now holds it
    simulator.addKeys([{ CustomerKey: key.CustomerKey, KeyStatus: keyStatus, DateDisabled: "2025-08-29" }]);
    const back = { ...input, executionName: `back-${counter}` };
    await store.claimForOnboarding({ ...back, devRefId: "Back again" });
    return { back, customerKey: key.CustomerKey };
  }

  it("re-enables a key we disabled and gives it back to the practice", async () => {
    const { back, customerKey } = await returningPractice("DisabledByDeveloper");
    expect(await reenablePreviousKey(deps, back)).toEqual({
      reenabled: true,
      maskedKey: masked(customerKey),
    });
    expect(simulator.keys()[0]!.KeyStatus).toBe("Enabled");
    const reenabled = (await store.getPractice(back.practiceId))!;
    expect(reenabled).toMatchObject({ keyCreatedBy: back.executionName });
    expect(await store.revealCustomerKey(reenabled)).toBe(customerKey);
  });

  it.each(["DisabledByCustomer", "DisabledByHQ"])(
    "never re-enables a key that is %s: records the revocation, keeps it, and leaves the practice keyless",
    async (revoked) => {
      const { back, customerKey } = await returningPractice(revoked);
      expect(await reenablePreviousKey(deps, back)).toEqual({ reenabled: false, revoked });
      expect(simulator.keys()[0]!.KeyStatus).toBe(revoked);
      expect((await store.listAudit(back.practiceId)).at(-1)).toMatchObject({
        action: "KEY_REVOKED",
        executionName: back.executionName,
        details: { maskedKey: masked(customerKey), keyStatus: revoked },
      });
      expect((await store.getPractice(back.practiceId))?.customerKey).toBeUndefined();
    },
  );

  it("does not take any 400 for a revocation: a refusal of a key we disabled fails the step", async () => {
    const { back } = await returningPractice("DisabledByDeveloper");
    simulator.queueFaults({ method: "PUT", kind: "status", status: 400, body: "Try again later." });
    await expect(reenablePreviousKey(deps, back)).rejects.toMatchObject({ name: "PortalRejected" });
    expect(simulator.keys()[0]!.KeyStatus).toBe("DisabledByDeveloper");
    expect((await store.listAudit(back.practiceId)).map((e) => e.action)).not.toContain("KEY_REVOKED");
  });

  it("compensation sends no disable to the revoked old key of a returning practice that got no new key", async () => {
    const { back } = await returningPractice("DisabledByCustomer");
    await reenablePreviousKey(deps, back);
    const before = simulator.calls().length;
    const result = await compensateOnboarding(deps, { ...back, error: { Error: "PortalThrottled" } });
    expect(result).toMatchObject({ status: "FAILED", keyDisabled: true });
    expect(
      simulator
        .calls()
        .slice(before)
        .map((c) => c.method),
    ).toEqual(["GET"]);
    expect(simulator.keys()[0]!.KeyStatus).toBe("DisabledByCustomer");
  });

  it("compensation disables the old key a returning practice's unrecorded re-enable left enabled", async () => {
    const { back } = await returningPractice("Enabled");
    const result = await compensateOnboarding(deps, { ...back, error: { Error: "States.Timeout" } });
    expect(result).toMatchObject({ status: "FAILED", keyDisabled: true });
    expect(simulator.keys()[0]!.KeyStatus).toBe("DisabledByDeveloper");
  });
});

describe("describeCaughtError", () => {
  it("uses the Lambda errorMessage from a JSON Cause, and the raw Cause otherwise", () => {
    expect(describeCaughtError({ Error: "A", Cause: '{"errorType":"A","errorMessage":"m"}' })).toBe("A: m");
    expect(describeCaughtError({ Error: "States.Timeout", Cause: "Task timed out" })).toBe(
      "States.Timeout: Task timed out",
    );
    expect(describeCaughtError(undefined)).toBe("UnknownError");
  });
});
