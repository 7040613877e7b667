import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../../contracts/table-schema.js";
import { ClaimLost, KeyConflict, PracticeNotFound } from "../../../functions/platform/errors.js";
import type { PortalKey } from "../../../functions/portal/portal-types.js";
import { PracticeStore } from "../../../functions/practice/practice-store.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { offboardPractice } from "../../support/offboard-practice.js";
import { testKeyCipher } from "../../support/test-key-cipher.js";
import { testFingerprinter, testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

let table: TestDocumentTable;
let store: PracticeStore;
let counter = 0;

beforeAll(async () => {
  table = await createTestDocumentTable();
  store = testPracticeStore(table);
});

/** A practice id unique to the test, so tests share one table without seeing each other. */
function newPracticeId(): string {
  counter += 1;
  return `practice-${counter}`;
}

const T0 = new Date("2025-06-12T10:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** A fresh key shaped like the seed's POST answer, unique per call. */
function portalKey(): PortalKey {
  counter += 1;
  return {
    customerKey: `565ATSAH4SZD${String(counter).padStart(4, "0")}`,
    keyStatus: "Enabled",
    dateCreated: "2025-06-12",
    dateDisabled: null,
    dateTimeAssigned: null,
    devRefId: "",
  };
}

async function claim(practiceId: string, executionName: string, now = T0) {
  return store.claimForOnboarding({
    practiceId,
    devRefId: `Dental ${practiceId}`,
    executionName,
    requestedBy: "crm-webhook:msg_1",
    now,
  });
}

/** Claims, creates and records a key, marks ACTIVE: a practice onboarded by `exec`. */
async function onboard(practiceId: string, exec: string): Promise<PortalKey> {
  await claim(practiceId, exec, at(0));
  await store.recordCreateAttempt({ practiceId, executionName: exec, now: at(1) });
  const key = portalKey();
  const recorded = await store.recordKeyCreated({ practiceId, executionName: exec, key, now: at(2) });
  await store.markActive({ practiceId, executionName: exec, expectedVersion: recorded.version, now: at(3) });
  return key;
}

async function rawItem(key: Record<string, string>) {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}

describe("PracticeStore.claimForOnboarding", () => {
  it("creates an ONBOARDING record owned by the execution for a new practice", async () => {
    const practiceId = newPracticeId();
    expect(await claim(practiceId, "exec-a")).toEqual({ outcome: "claimed", version: 1 });
    expect(await rawItem(keys.practice(practiceId))).toEqual({
      pk: `PRACTICE#${practiceId}`,
      sk: "PRACTICE",
      gsiStatus: "ONBOARDING",
      gsiPracticeId: practiceId,
      practiceId,
      devRefId: `Dental ${practiceId}`,
      status: "ONBOARDING",
      version: 1,
      lastExecution: "exec-a",
      requestedBy: "crm-webhook:msg_1",
      onboardingKind: "new",
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
      lastTransitionAt: T0.toISOString(),
    });
  });

  it("returns the same claim when the owning execution asks again", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a");
    expect(await claim(practiceId, "exec-a", at(5))).toEqual({ outcome: "claimed", version: 1 });
    expect(await store.listAudit(practiceId)).toHaveLength(1);
  });

  it("reports inProgress with the owner when another execution holds the claim", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a");
    expect(await claim(practiceId, "exec-b")).toEqual({
      outcome: "inProgress",
      owner: "exec-a",
      status: "ONBOARDING",
    });
  });

  it("reports alreadyActive with the masked key for an ACTIVE practice and writes nothing", async () => {
    const practiceId = newPracticeId();
    const key = await onboard(practiceId, "exec-a");
    const before = await rawItem(keys.practice(practiceId));
    expect(await claim(practiceId, "exec-b", at(10))).toEqual({
      outcome: "alreadyActive",
      maskedKey: testMask(key.customerKey),
    });
    expect(await rawItem(keys.practice(practiceId))).toEqual(before);
  });

  it("claims a FAILED practice again, clearing its failed key and reason", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a", at(0));
    await store.recordCreateAttempt({ practiceId, executionName: "exec-a", now: at(1) });
    await store.recordKeyCreated({ practiceId, executionName: "exec-a", key: portalKey(), now: at(2) });
    await store.markFailed({
      practiceId,
      executionName: "exec-a",
      reason: "label refused",
      keyDisabled: true,
      now: at(3),
    });
    expect(await claim(practiceId, "exec-b", at(4))).toEqual({ outcome: "claimed", version: 4 });
    const record = await store.getPractice(practiceId);
    expect(record).toEqual({
      practiceId,
      devRefId: `Dental ${practiceId}`,
      status: "ONBOARDING",
      version: 4,
      lastExecution: "exec-b",
      requestedBy: "crm-webhook:msg_1",
      onboardingKind: "new",
      createdAt: at(0).toISOString(),
      updatedAt: at(4).toISOString(),
      lastTransitionAt: at(4).toISOString(),
    });
  });

  it("claims an OFFBOARDED practice as returning, keeping its old key as the one to re-enable", async () => {
    const practiceId = newPracticeId();
    const key = await onboard(practiceId, "exec-a");
    // Offboarding: claim, key recorded disabled, OFFBOARDED (versions 4, 5, 6).
    await offboardPractice(store, { practiceId, executionName: "off-1", now: at(4) });
    const masked = testMask(key.customerKey);
    expect(await claim(practiceId, "exec-b", at(6))).toEqual({
      outcome: "returning",
      version: 7,
      previousMaskedKey: masked,
    });
    const record = await store.getPractice(practiceId);
    expect(await store.revealPreviousCustomerKey(record!)).toBe(key.customerKey);
    expect(record?.customerKey).toBeUndefined();
    expect(record?.onboardingKind).toBe("returning");
    expect(await claim(practiceId, "exec-b", at(7))).toEqual({
      outcome: "returning",
      version: 7,
      previousMaskedKey: masked,
    });
  });

  it("lets exactly one of 10 concurrent executions claim a new practice", async () => {
    const practiceId = newPracticeId();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(practiceId, `exec-${i}`)));
    const claimed = results.filter((r) => r.outcome === "claimed");
    expect(claimed).toHaveLength(1);
    const owner = (await store.getPractice(practiceId))!.lastExecution;
    const others = results.filter((r) => r.outcome !== "claimed");
    expect(others).toEqual(
      Array.from({ length: 9 }, () => ({ outcome: "inProgress", owner, status: "ONBOARDING" })),
    );
    expect(await store.listAudit(practiceId)).toHaveLength(1);
  });
});

describe("PracticeStore.recordKeyCreated", () => {
  it("writes the key to the practice, the key item, the attempt and the audit in one step", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a", at(0));
    await store.recordCreateAttempt({ practiceId, executionName: "exec-a", now: at(1) });
    const key = portalKey();
    const masked = testMask(key.customerKey);
    const record = await store.recordKeyCreated({ practiceId, executionName: "exec-a", key, now: at(2) });
    expect(await store.revealCustomerKey(record)).toBe(key.customerKey);
    expect(record).toMatchObject({
      customerKey: expect.stringMatching(/^kms1:/),
      maskedKey: masked,
      keyCreatedBy: "exec-a",
      version: 2,
    });
    const fingerprint = await testFingerprinter(key.customerKey);
    expect(await rawItem(keys.ledgerEntry(fingerprint))).toEqual({
      pk: `KEY#${fingerprint}`,
      sk: "KEY",
      keyFingerprint: fingerprint,
      maskedKey: masked,
      practiceId,
      createdBy: "exec-a",
      createdAt: at(2).toISOString(),
    });
    expect(await store.getCreateAttempt(practiceId, "exec-a")).toEqual({
      practiceId,
      executionName: "exec-a",
      status: "CREATED",
      attempts: 1,
      firstAttemptAt: at(1).toISOString(),
      lastAttemptAt: at(1).toISOString(),
      lostResponses: 0,
      lostAt: [],
      maskedKey: masked,
      createdAt: at(2).toISOString(),
    });
  });

  it("is a no-op when the same execution records the same key again", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a", at(0));
    const key = portalKey();
    const first = await store.recordKeyCreated({ practiceId, executionName: "exec-a", key, now: at(2) });
    const again = await store.recordKeyCreated({ practiceId, executionName: "exec-a", key, now: at(3) });
    expect(again).toEqual(first);
    expect((await store.listAudit(practiceId)).map((e) => e.action)).toEqual([
      "ONBOARDING_STARTED",
      "KEY_CREATED",
    ]);
  });

  it("refuses a second key for a practice that already holds one", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a");
    const first = portalKey();
    await store.recordKeyCreated({ practiceId, executionName: "exec-a", key: first });
    const second = portalKey();
    await expect(
      store.recordKeyCreated({ practiceId, executionName: "exec-a", key: second }),
    ).rejects.toThrow(
      new KeyConflict(
        `practice ${practiceId} already holds key ${testMask(first.customerKey)}; ` +
          `${testMask(second.customerKey)} not recorded`,
      ),
    );
    expect(await rawItem(keys.ledgerEntry(await testFingerprinter(second.customerKey)))).toBeUndefined();
  });

  it("refuses a key that is already mapped to another practice", async () => {
    const practiceA = newPracticeId();
    const practiceB = newPracticeId();
    await claim(practiceA, "exec-a");
    await claim(practiceB, "exec-b");
    const key = portalKey();
    await store.recordKeyCreated({ practiceId: practiceA, executionName: "exec-a", key });
    await expect(
      store.recordKeyCreated({ practiceId: practiceB, executionName: "exec-b", key }),
    ).rejects.toThrow(
      new KeyConflict(
        `key ${testMask(key.customerKey)} already belongs to practice ${practiceA}; ` +
          `not recorded for ${practiceB}`,
      ),
    );
    expect((await store.getPractice(practiceB))?.customerKey).toBeUndefined();
  });

  it("refuses a key from an execution that does not own the practice", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a");
    await expect(
      store.recordKeyCreated({ practiceId, executionName: "exec-b", key: portalKey() }),
    ).rejects.toThrow(
      new ClaimLost(
        `practice ${practiceId} is ONBOARDING by execution exec-a, no longer ONBOARDING by exec-b`,
      ),
    );
  });
});

describe("PracticeStore.recordCreateAttempt", () => {
  it("counts each POST of an execution and keeps lost answers on record", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a", at(0));
    await store.recordCreateAttempt({ practiceId, executionName: "exec-a", now: at(1) });
    await store.markCreateResponseLost({
      practiceId,
      executionName: "exec-a",
      errorName: "PortalUnavailable",
      now: at(2),
    });
    await store.recordCreateAttempt({ practiceId, executionName: "exec-a", now: at(3) });
    expect(await store.listCreateAttempts(practiceId)).toEqual([
      {
        practiceId,
        executionName: "exec-a",
        status: "PENDING",
        attempts: 2,
        firstAttemptAt: at(1).toISOString(),
        lastAttemptAt: at(3).toISOString(),
        lostResponses: 1,
        lostAt: [`${at(2).toISOString()} PortalUnavailable`],
      },
    ]);
  });

  it("refuses an attempt when the practice already holds a key", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a");
    await store.recordKeyCreated({ practiceId, executionName: "exec-a", key: portalKey() });
    await expect(store.recordCreateAttempt({ practiceId, executionName: "exec-a" })).rejects.toMatchObject({
      name: "ConcurrentModification",
    });
  });
});

describe("PracticeStore.markActive", () => {
  it("makes the practice ACTIVE, confirms its key item and audits the whole onboarding", async () => {
    const practiceId = newPracticeId();
    const key = await onboard(practiceId, "exec-a");
    const masked = testMask(key.customerKey);
    expect(await store.getPractice(practiceId)).toEqual({
      practiceId,
      devRefId: `Dental ${practiceId}`,
      status: "ACTIVE",
      version: 3,
      lastExecution: "exec-a",
      requestedBy: "crm-webhook:msg_1",
      onboardingKind: "new",
      customerKey: expect.stringMatching(/^kms1:/),
      maskedKey: masked,
      keyFingerprint: await testFingerprinter(key.customerKey),
      keyCreatedBy: "exec-a",
      keyOrigin: "created",
      createdAt: at(0).toISOString(),
      updatedAt: at(3).toISOString(),
      activatedAt: at(3).toISOString(),
      lastTransitionAt: at(3).toISOString(),
    });
    expect((await store.getKeyOwner(await store.fingerprint(key.customerKey)))?.confirmedAt).toBe(
      at(3).toISOString(),
    );
    const audit = await store.listAudit(practiceId);
    expect(audit.map(({ id: _id, ...entry }) => entry)).toEqual([
      {
        practiceId,
        at: at(0).toISOString(),
        action: "ONBOARDING_STARTED",
        actor: "crm-webhook:msg_1",
        executionName: "exec-a",
        details: { previousStatus: null, devRefId: `Dental ${practiceId}` },
      },
      {
        practiceId,
        at: at(2).toISOString(),
        action: "KEY_CREATED",
        actor: "crm-webhook:msg_1",
        executionName: "exec-a",
        details: { maskedKey: masked, keyStatus: "Enabled" },
      },
      {
        practiceId,
        at: at(3).toISOString(),
        action: "ONBOARDING_COMPLETED",
        actor: "crm-webhook:msg_1",
        executionName: "exec-a",
        details: { maskedKey: masked, devRefId: `Dental ${practiceId}` },
      },
    ]);
  });

  it("is a no-op when the same execution marks it ACTIVE again", async () => {
    const practiceId = newPracticeId();
    await onboard(practiceId, "exec-a");
    const again = await store.markActive({ practiceId, executionName: "exec-a", expectedVersion: 2 });
    expect(again.version).toBe(3);
    expect(await store.listAudit(practiceId)).toHaveLength(3);
  });

  it("refuses a stale version with ConcurrentModification", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a");
    await store.recordKeyCreated({ practiceId, executionName: "exec-a", key: portalKey() });
    await expect(
      store.markActive({ practiceId, executionName: "exec-a", expectedVersion: 1 }),
    ).rejects.toMatchObject({ name: "ConcurrentModification" });
    expect((await store.getPractice(practiceId))?.status).toBe("ONBOARDING");
  });
});

describe("PracticeStore.markFailed", () => {
  it("records FAILED with the reason, redacting anything shaped like a key, and marks the key disabled", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a", at(0));
    const key = portalKey();
    await store.recordKeyCreated({ practiceId, executionName: "exec-a", key, now: at(1) });
    const masked = testMask(key.customerKey);
    const record = await store.markFailed({
      practiceId,
      executionName: "exec-a",
      reason: `PortalRejected: PUT /apikeys for ${key.customerKey}: 400 BadRequest: DevRefId too long`,
      keyDisabled: true,
      now: at(2),
    });
    expect(record.status).toBe("FAILED");
    // Free text: a key-shaped token shows its last 4 only.
    expect(record.failureReason).toBe(
      `PortalRejected: PUT /apikeys for …${key.customerKey.slice(-4)}: 400 BadRequest: DevRefId too long`,
    );
    expect((await store.getKeyOwner(await store.fingerprint(key.customerKey)))?.disabledAt).toBe(
      at(2).toISOString(),
    );
    const last = (await store.listAudit(practiceId)).at(-1);
    expect(last).toMatchObject({
      action: "ONBOARDING_FAILED",
      details: { reason: record.failureReason, maskedKey: masked, keyDisabled: true },
    });
  });

  it("refuses an execution that does not own the practice", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "exec-a");
    await expect(
      store.markFailed({ practiceId, executionName: "exec-b", reason: "x" }),
    ).rejects.toMatchObject({ name: "ClaimLost" });
  });
});

describe("PracticeStore.recordKeyReenabled", () => {
  it("gives a returning practice its previous key back and clears the key's disabled mark", async () => {
    const practiceId = newPracticeId();
    const key = await onboard(practiceId, "exec-a");
    await offboardPractice(store, { practiceId, executionName: "off-1" });
    await claim(practiceId, "exec-b");
    const record = await store.recordKeyReenabled({ practiceId, executionName: "exec-b" });
    expect(await store.revealCustomerKey(record)).toBe(key.customerKey);
    expect(record).toMatchObject({
      customerKey: expect.stringMatching(/^kms1:/),
      keyCreatedBy: "exec-b",
      status: "ONBOARDING",
    });
    const owner = await store.getKeyOwner(await store.fingerprint(key.customerKey));
    expect(owner?.disabledAt).toBeUndefined();
    expect(owner?.practiceId).toBe(practiceId);
    const active = await store.markActive({
      practiceId,
      executionName: "exec-b",
      expectedVersion: record.version,
    });
    expect(active.previousCustomerKey).toBeUndefined();
    expect(await store.revealCustomerKey(active)).toBe(key.customerKey);
    expect(active.keyOrigin).toBe("reenabled");
  });
});

describe("PracticeStore.startOffboarding", () => {
  it("throws PracticeNotFound for a practice the table does not know", async () => {
    await expect(
      store.startOffboarding({
        practiceId: "nobody",
        executionName: "off-1",
        requestedBy: "ops:alice",
        reason: "practice closed",
      }),
    ).rejects.toThrow(new PracticeNotFound("practice nobody is not in the table; nothing to offboard"));
  });
});

describe("PracticeStore.appendAudit", () => {
  it("appends an entry that listAudit returns as written", async () => {
    const practiceId = newPracticeId();
    const entry = await store.appendAudit({
      practiceId,
      action: "KEY_LABELED",
      actor: "crm-webhook:msg_9",
      executionName: "exec-a",
      details: { devRefId: "Sarah's Super Dental" },
      now: at(9),
    });
    expect(await store.listAudit(practiceId)).toEqual([entry]);
    expect(entry).toEqual({
      practiceId,
      at: at(9).toISOString(),
      id: entry.id,
      action: "KEY_LABELED",
      actor: "crm-webhook:msg_9",
      executionName: "exec-a",
      details: { devRefId: "Sarah's Super Dental" },
    });
  });
});

describe("PracticeStore.listPractices", () => {
  it("lists practices by status through the index", async () => {
    const own = await createTestDocumentTable();
    const isolated = new PracticeStore({
      client: own.client,
      tableName: own.tableName,
      fingerprint: testFingerprinter,
      keyCipher: testKeyCipher,
    });
    const claimIn = (practiceId: string, exec: string) =>
      isolated.claimForOnboarding({
        practiceId,
        devRefId: practiceId,
        executionName: exec,
        requestedBy: "t",
      });
    await claimIn("p-b", "e1");
    await claimIn("p-a", "e2");
    await claimIn("p-c", "e3");
    await isolated.markFailed({ practiceId: "p-c", executionName: "e3", reason: "no" });
    expect((await isolated.listPractices({ status: "ONBOARDING" })).map((p) => p.practiceId)).toEqual([
      "p-a",
      "p-b",
    ]);
    expect((await isolated.listPractices({ status: "FAILED" })).map((p) => p.practiceId)).toEqual(["p-c"]);
    expect((await isolated.listPractices()).map((p) => `${p.practiceId}:${p.status}`)).toEqual([
      "p-a:ONBOARDING",
      "p-b:ONBOARDING",
      "p-c:FAILED",
    ]);
  });
});
