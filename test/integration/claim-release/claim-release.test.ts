// Releasing the claim of an execution that ended without compensating, against DynamoDB Local and the portal
// simulator over HTTP: still claimed → compensated once; released already → nothing; malformed → nothing.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CLAIM_RELEASE_ACTOR,
  type ClaimReleaseDeps,
  releaseClaim,
} from "../../../functions/claim-release/claim-release.js";
import { claimPracticeForOffboarding } from "../../../functions/offboarding/offboarding-steps.js";
import { createPracticeKey } from "../../../functions/onboarding/onboarding-steps.js";
import { createPortalClient } from "../../../functions/portal/portal-client.js";
import { DynamoDbRateLimiter } from "../../../functions/portal/portal-rate-limiter.js";
import type { PracticeStore } from "../../../functions/practice/practice-store.js";
import { type PortalSimulator, startPortalSimulator } from "../../../local/portal-simulator.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { asEventInput, outboxEvents } from "../../support/outbox-items.js";
import { testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

const SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:practice-onboarding/portal-credentials";
const ONBOARDING_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:Onboarding";
const OFFBOARDING_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:Offboarding";

let simulator: PortalSimulator;
let store: PracticeStore;
let deps: ClaimReleaseDeps;
let table: TestDocumentTable;
/** Outbox event ids written before the running test. */
let earlier: Set<string>;

/** The events the running test's outcomes wrote to the outbox, as their inputs. */
async function published(): Promise<Record<string, unknown>[]> {
  return (await outboxEvents(table)).filter((e) => !earlier.has(e.detail.eventId)).map(asEventInput);
}
let counter = 0;
let seed = 300;

beforeAll(async () => {
  table = await createTestDocumentTable();
  store = testPracticeStore(table);
  const rateLimiter = new DynamoDbRateLimiter({
    client: table.client,
    tableName: table.tableName,
    maxRps: 50,
  });
  const portal = () =>
    createPortalClient({
      baseUrl: simulator.url,
      credentials: async () => simulator.credentials,
      rateLimiter,
      timeoutMs: 2000,
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
    stateMachines: { onboarding: ONBOARDING_ARN, offboarding: OFFBOARDING_ARN },
  };
});

// A simulator per test with its own PRNG seed, so keys never repeat across tests sharing the one table.
beforeEach(async () => {
  seed += 1;
  earlier = new Set((await outboxEvents(table)).map((e) => e.detail.eventId));
  simulator = await startPortalSimulator({ random: seed });
});
afterEach(() => simulator.stop());

/** EventBridge's "Step Functions Execution Status Change" event, as the rule delivers it. */
function statusChange(
  stateMachineArn: string,
  name: string,
  status: string,
  input: unknown,
  extra: Record<string, unknown> = {},
) {
  return {
    version: "0",
    id: `event-${name}`,
    "detail-type": "Step Functions Execution Status Change",
    source: "aws.states",
    account: "000000000000",
    time: "2026-11-26T21:00:00Z",
    region: "us-east-1",
    resources: [`arn:aws:states:us-east-1:000000000000:execution:Onboarding:${name}`],
    detail: {
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:Onboarding:${name}`,
      stateMachineArn,
      name,
      status,
      startDate: 1_764_190_000_000,
      stopDate: 1_764_190_060_000,
      input: JSON.stringify(input),
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: null,
      cause: null,
      ...extra,
    },
  };
}

/** A practice ONBOARDING by a fresh execution that created its key, as a run stopped at LabelKeyAndRecordActive leaves it. */
async function onboardingWithKey() {
  counter += 1;
  const owned = { practiceId: `release-${counter}`, executionName: `exec-${counter}`, requestedBy: "crm:m1" };
  await store.claimForOnboarding({ ...owned, devRefId: `Dental ${counter}` });
  await createPracticeKey(deps, owned);
  return owned;
}

const portalCalls = () => simulator.calls().map((c) => `${c.method} ${c.status}`);
const auditOf = async (practiceId: string) =>
  (await store.listAudit(practiceId)).map(({ action, actor, executionName }) => ({
    action,
    actor,
    executionName,
  }));

describe("releaseClaim", () => {
  it("disables the key, marks FAILED and records PracticeOnboardingFailed in the outbox for a timed-out onboarding", async () => {
    const { practiceId, executionName } = await onboardingWithKey();
    const [key] = simulator.keys();
    const event = statusChange(ONBOARDING_ARN, executionName, "TIMED_OUT", { practiceId, devRefId: "x" });

    const outcome = await releaseClaim(deps, event);

    const practice = await store.getPractice(practiceId);
    const reason = `States.Timeout: execution ${executionName} timed out before releasing its claim`;
    expect(outcome).toEqual({
      outcome: "released",
      workflow: "onboarding",
      practiceId,
      status: "FAILED",
      keyDisabled: true,
      eventRecorded: true,
    });
    expect(practice).toMatchObject({ status: "FAILED", lastExecution: executionName, failureReason: reason });
    expect(simulator.keys()[0]!.KeyStatus).toBe("DisabledByDeveloper");
    expect(portalCalls()).toEqual(["POST 201", "PUT 200"]);
    expect(await published()).toEqual([
      {
        type: "PracticeOnboardingFailed",
        executionName,
        occurredAt: practice!.failedAt,
        practiceId,
        devRefId: practice!.devRefId,
        maskedKey: testMask(key!.CustomerKey),
        reason: "States.Timeout",
        message: reason,
      },
    ]);
    expect((await auditOf(practiceId)).at(-1)).toEqual({
      action: "ONBOARDING_FAILED",
      actor: CLAIM_RELEASE_ACTOR,
      executionName,
    });
  });

  it("does nothing on a second delivery of the same event: no write, no portal call, no event", async () => {
    const { practiceId, executionName } = await onboardingWithKey();
    const event = statusChange(ONBOARDING_ARN, executionName, "ABORTED", { practiceId });
    await releaseClaim(deps, event);
    const after = { practice: await store.getPractice(practiceId), audit: await auditOf(practiceId) };

    const again = await releaseClaim(deps, event);

    expect(again).toEqual({
      outcome: "alreadyReleased",
      workflow: "onboarding",
      practiceId,
      status: "FAILED",
    });
    expect(await store.getPractice(practiceId)).toEqual(after.practice);
    expect(await auditOf(practiceId)).toEqual(after.audit);
    expect(portalCalls()).toEqual(["POST 201", "PUT 200"]);
    expect(await published()).toHaveLength(1);
  });

  it("records the failed execution's own error as the reason when it failed in its compensation", async () => {
    const { practiceId, executionName } = await onboardingWithKey();
    const cause = JSON.stringify({ errorType: "PortalUnavailable", errorMessage: "PUT /apikeys: 503" });
    const event = statusChange(
      ONBOARDING_ARN,
      executionName,
      "FAILED",
      { practiceId },
      {
        error: "PortalUnavailable",
        cause,
      },
    );

    await releaseClaim(deps, event);

    expect(await store.getPractice(practiceId)).toMatchObject({
      status: "FAILED",
      failureReason: "PortalUnavailable: PUT /apikeys: 503",
    });
    expect((await published()).map((e) => [e.type, (e as { reason?: string }).reason])).toEqual([
      ["PracticeOnboardingFailed", "PortalUnavailable"],
    ]);
  });

  it("leaves a practice another execution holds alone: nothing written, no portal call, no event", async () => {
    const { practiceId, executionName } = await onboardingWithKey();
    const before = { practice: await store.getPractice(practiceId), audit: await auditOf(practiceId) };
    const event = statusChange(ONBOARDING_ARN, "an-older-execution", "FAILED", { practiceId });

    const outcome = await releaseClaim(deps, event);

    expect(outcome).toEqual({
      outcome: "alreadyReleased",
      workflow: "onboarding",
      practiceId,
      status: "ONBOARDING",
    });
    expect(await store.getPractice(practiceId)).toEqual(before.practice);
    expect(before.practice?.lastExecution).toBe(executionName);
    expect(await auditOf(practiceId)).toEqual(before.audit);
    expect(portalCalls()).toEqual(["POST 201"]);
    expect(await published()).toEqual([]);
  });

  it("puts an offboarding practice back to its previous status when its execution was stopped", async () => {
    const { practiceId, executionName: onboarding } = await onboardingWithKey();
    await store.markActive({ practiceId, executionName: onboarding, expectedVersion: 2 });
    const executionName = `offboard-${counter}`;
    await claimPracticeForOffboarding(
      { store },
      { input: { practiceId, reason: "Churned", requestedBy: "ops:alice" }, executionName },
    );

    const outcome = await releaseClaim(
      deps,
      statusChange(OFFBOARDING_ARN, executionName, "ABORTED", { practiceId, reason: "Churned" }),
    );

    expect(outcome).toEqual({ outcome: "released", workflow: "offboarding", practiceId, status: "ACTIVE" });
    expect(await store.getPractice(practiceId)).toMatchObject({
      status: "ACTIVE",
      lastExecution: onboarding,
      offboarding: {
        executionName,
        failureReason: `States.Aborted: execution ${executionName} was stopped before releasing its claim`,
      },
    });
    expect((await auditOf(practiceId)).at(-1)).toEqual({
      action: "OFFBOARDING_FAILED",
      actor: CLAIM_RELEASE_ACTOR,
      executionName,
    });
    expect(portalCalls()).toEqual(["POST 201"]);
    expect(await published()).toEqual([]);
  });

  it("finds the practice its execution holds when the event carries no input", async () => {
    const { practiceId, executionName } = await onboardingWithKey();
    const event = statusChange(ONBOARDING_ARN, executionName, "ABORTED", null, {
      input: null,
      inputDetails: { included: false },
    });

    const outcome = await releaseClaim(deps, event);

    expect(outcome).toMatchObject({
      outcome: "released",
      workflow: "onboarding",
      practiceId,
      status: "FAILED",
    });
    expect((await store.getPractice(practiceId))?.status).toBe("FAILED");
    expect(simulator.keys()[0]!.KeyStatus).toBe("DisabledByDeveloper");
  });

  it.each([
    ["no event at all", null, "malformed event: (root): Invalid input"],
    [
      "another detail-type",
      { ...statusChange(ONBOARDING_ARN, "e", "FAILED", {}), "detail-type": "Something Else" },
      "malformed event: detail-type: Invalid input",
    ],
    [
      "a SUCCEEDED execution",
      statusChange(ONBOARDING_ARN, "e", "SUCCEEDED", {}),
      "malformed event: detail.status: Invalid input",
    ],
    [
      "an input that is not JSON",
      {
        ...statusChange(ONBOARDING_ARN, "e", "FAILED", {}),
        detail: { ...statusChange(ONBOARDING_ARN, "e", "FAILED", {}).detail, input: "{not json" },
      },
      "its input names no practice and no ONBOARDING practice is held by execution e",
    ],
    [
      "an input without a practiceId",
      statusChange(ONBOARDING_ARN, "e", "FAILED", { devRefId: "x" }),
      "its input names no practice and no ONBOARDING practice is held by execution e",
    ],
    [
      "another state machine",
      statusChange("arn:aws:states:us-east-1:000000000000:stateMachine:Reconciliation", "e", "FAILED", {
        practiceId: "p",
      }),
      "not an onboarding or offboarding execution",
    ],
  ])("ignores %s without throwing, writing or calling the portal", async (_label, event, reason) => {
    const { practiceId } = await onboardingWithKey();
    const before = { practice: await store.getPractice(practiceId), audit: await auditOf(practiceId) };

    expect(await releaseClaim(deps, event)).toEqual({ outcome: "ignored", reason });

    expect(await store.getPractice(practiceId)).toEqual(before.practice);
    expect(await auditOf(practiceId)).toEqual(before.audit);
    expect(portalCalls()).toEqual(["POST 201"]);
    expect(await published()).toEqual([]);
  });
});

// A stop can land while the claim Lambda is in flight; that invocation runs on after it, so its claim may be
// written after the release looked (docs/architecture.md §1). Before the ended-execution record, the practice was
// left ONBOARDING/OFFBOARDING by an ended execution until reconciliation finished it.
describe("a claim that lands after its execution's release", () => {
  it("is refused for onboarding: no practice record, no audit entry", async () => {
    counter += 1;
    const owned = {
      practiceId: `late-${counter}`,
      executionName: `late-exec-${counter}`,
      requestedBy: "crm:m1",
    };
    const released = await releaseClaim(
      deps,
      statusChange(ONBOARDING_ARN, owned.executionName, "ABORTED", { practiceId: owned.practiceId }),
    );
    expect(released).toMatchObject({ outcome: "alreadyReleased", practiceId: owned.practiceId });

    const late = store.claimForOnboarding({ ...owned, devRefId: "Late Dental" });

    await expect(late).rejects.toMatchObject({ name: "ExecutionEnded" });
    expect(await store.getPractice(owned.practiceId)).toBeUndefined();
    expect(await auditOf(owned.practiceId)).toEqual([]);
  });

  it("is refused for a FAILED practice's next onboarding: the practice stays FAILED", async () => {
    const { practiceId, executionName: first } = await onboardingWithKey();
    await releaseClaim(deps, statusChange(ONBOARDING_ARN, first, "TIMED_OUT", { practiceId }));
    const before = await store.getPractice(practiceId);
    expect(before?.status).toBe("FAILED");
    const next = `retry-${counter}`;
    await releaseClaim(deps, statusChange(ONBOARDING_ARN, next, "ABORTED", { practiceId }));

    const late = store.claimForOnboarding({
      practiceId,
      executionName: next,
      requestedBy: "crm:m2",
      devRefId: "Second Try Dental",
    });

    await expect(late).rejects.toMatchObject({ name: "ExecutionEnded" });
    expect(await store.getPractice(practiceId)).toEqual(before);
  });

  it("is refused for offboarding: the practice stays ACTIVE", async () => {
    const { practiceId, executionName: onboarding } = await onboardingWithKey();
    await store.markActive({ practiceId, executionName: onboarding, expectedVersion: 2 });
    const before = await store.getPractice(practiceId);
    const executionName = `late-offboard-${counter}`;
    await releaseClaim(deps, statusChange(OFFBOARDING_ARN, executionName, "ABORTED", { practiceId }));

    const late = claimPracticeForOffboarding(
      { store },
      { input: { practiceId, reason: "Churned", requestedBy: "ops:alice" }, executionName },
    );

    await expect(late).rejects.toMatchObject({ name: "ExecutionEnded" });
    expect(await store.getPractice(practiceId)).toEqual(before);
  });

  // Onboarding labels and records ACTIVE in one invocation: stopped during its label PUT, it runs on and records
  // ACTIVE — after the release, which had read ONBOARDING, disabled the key and was about to mark FAILED. The
  // lifecycle property found it: ACTIVE with its key disabled.
  it("is refused for an onboarding's ACTIVE record: the release marks it FAILED, its key disabled", async () => {
    const { practiceId, executionName } = await onboardingWithKey();
    const [key] = simulator.keys().slice(-1);
    await store.recordExecutionEnded("onboarding", executionName);
    const claimed = await store.getPractice(practiceId);

    const late = store.markActive({ practiceId, executionName, expectedVersion: claimed!.version });

    await expect(late).rejects.toMatchObject({ name: "ExecutionEnded" });
    expect(await store.getPractice(practiceId)).toEqual(claimed);
    await releaseClaim(deps, statusChange(ONBOARDING_ARN, executionName, "ABORTED", { practiceId }));
    expect((await store.getPractice(practiceId))?.status).toBe("FAILED");
    expect(simulator.keys().find((k) => k.CustomerKey === key!.CustomerKey)?.KeyStatus).toBe(
      "DisabledByDeveloper",
    );
  });
});
