// The ordering rule in the practice store (docs/events.md, "Ordering of lifecycle requests"), on DynamoDB Local:
// a claim issued at or before the practice's last transition is stale and writes nothing but its audit entry.
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../../contracts/table-schema.js";
import type { PracticeStore } from "../../../functions/practice/practice-store.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { offboardPractice } from "../../support/offboard-practice.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

let table: TestDocumentTable;
let store: PracticeStore;
let counter = 0;

beforeAll(async () => {
  table = await createTestDocumentTable();
  store = testPracticeStore(table);
});

const T0 = new Date("2025-06-12T10:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const iso = (seconds: number) => at(seconds).toISOString();

function newPracticeId(): string {
  counter += 1;
  return `ordered-${counter}`;
}

function claim(practiceId: string, executionName: string, now: Date, issuedAt?: string) {
  return store.claimForOnboarding({
    practiceId,
    devRefId: "Ordered Dental",
    executionName,
    requestedBy: "crm-webhook:msg_1",
    now,
    ...(issuedAt === undefined ? {} : { issuedAt }),
  });
}

/** A practice onboarded at T0+0…3 (claimed, keyed, ACTIVE at T0+3), then offboarded at T0+10…. */
async function offboarded(practiceId: string) {
  await claim(practiceId, "on-1", at(0));
  await store.recordCreateAttempt({ practiceId, executionName: "on-1", now: at(1) });
  const recorded = await store.recordKeyCreated({
    practiceId,
    executionName: "on-1",
    key: {
      customerKey: `ORDERKEY${String(counter).padStart(8, "0")}`,
      keyStatus: "Enabled",
      dateCreated: "2025-06-12",
      dateDisabled: null,
      dateTimeAssigned: null,
      devRefId: "",
    },
    now: at(2),
  });
  await store.markActive({
    practiceId,
    executionName: "on-1",
    expectedVersion: recorded.version,
    now: at(3),
  });
  return offboardPractice(store, { practiceId, executionName: "off-1", now: at(10) });
}

describe("the ordering rule in the practice store", () => {
  it("records lastTransitionAt at every status change, and not at the steps in between", async () => {
    const practiceId = newPracticeId();
    await claim(practiceId, "on-1", at(0));
    await store.recordCreateAttempt({ practiceId, executionName: "on-1", now: at(1) });
    expect((await store.getPractice(practiceId))?.lastTransitionAt).toBe(iso(0));

    const record = await offboarded(practiceId);

    expect(record).toMatchObject({ status: "OFFBOARDED", lastTransitionAt: iso(10) });
  });

  it("answers stale to an onboarding issued before the offboarding, writing only an audit entry", async () => {
    const practiceId = newPracticeId();
    const before = await offboarded(practiceId);

    const result = await claim(practiceId, "late-1", at(20), iso(5));

    expect(result).toEqual({
      outcome: "stale",
      issuedAt: iso(5),
      lastTransitionAt: iso(10),
      status: "OFFBOARDED",
    });
    expect(await store.getPractice(practiceId)).toEqual(before);
    expect((await store.listAudit(practiceId)).at(-1)).toMatchObject({
      action: "STALE_REQUEST_IGNORED",
      actor: "crm-webhook:msg_1",
      executionName: "late-1",
      details: { request: "onboarding", issuedAt: iso(5), lastTransitionAt: iso(10), status: "OFFBOARDED" },
    });
  });

  it("counts a request issued in the very millisecond of the last transition as stale, one after it as not", async () => {
    const practiceId = newPracticeId();
    await offboarded(practiceId);

    expect(await claim(practiceId, "tie-1", at(20), iso(10))).toMatchObject({ outcome: "stale" });
    expect(
      await claim(practiceId, "next-1", at(20), new Date(at(10).getTime() + 1).toISOString()),
    ).toMatchObject({ outcome: "returning" });
  });

  it("never judges a request without issuedAt (an execution started before the rule)", async () => {
    const practiceId = newPracticeId();
    await offboarded(practiceId);

    expect(await claim(practiceId, "old-1", at(20))).toMatchObject({ outcome: "returning" });
  });

  it("gives a retried claim of the same execution its claim back, although the claim itself is a later transition", async () => {
    const practiceId = newPracticeId();
    await offboarded(practiceId);
    expect(await claim(practiceId, "back-1", at(20), iso(15))).toMatchObject({ outcome: "returning" });

    expect(await claim(practiceId, "back-1", at(21), iso(15))).toMatchObject({ outcome: "returning" });
  });

  it("judges a record last changed before the rule by its latest outcome time", async () => {
    const practiceId = newPracticeId();
    await offboarded(practiceId);
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.practice(practiceId),
        UpdateExpression: "REMOVE lastTransitionAt",
      }),
    );

    expect(await claim(practiceId, "late-2", at(20), iso(5))).toMatchObject({
      outcome: "stale",
      lastTransitionAt: iso(10),
    });
  });

  it("ends an offboarding issued before the practice's last transition stale, the practice left ACTIVE", async () => {
    const practiceId = newPracticeId();
    const active = await offboarded(practiceId).then(() => claim(practiceId, "back-2", at(20), iso(15)));
    expect(active).toMatchObject({ outcome: "returning" });

    const result = await store.startOffboarding({
      practiceId,
      executionName: "off-late",
      requestedBy: "ops:alice",
      reason: "contract ended",
      issuedAt: iso(19),
      now: at(30),
    });

    expect(result).toEqual({
      outcome: "stale",
      issuedAt: iso(19),
      lastTransitionAt: iso(20),
      status: "ONBOARDING",
    });
    expect(await store.getPractice(practiceId)).toMatchObject({
      status: "ONBOARDING",
      lastExecution: "back-2",
    });
  });
});
