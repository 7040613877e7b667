// `ops migrate-keys` rewrites stored masked keys of the old `QJXZ…W2HD` form (issue 15, "Masking"). The table is
// filled through the store's own writes — a practice onboarded, offboarded and back (returning), one FAILED with
// a reason naming its key, a released candidate — and then given the masked form the code before this change
// stored (first 4 + `…` + last 4 wherever it now stores `…W2HD #3f9a1c`). After the migration no item holds 8
// characters of a key outside the key attributes, every masked key is the new form of its own key, and a re-run
// or a resumed run changes nothing.
import { ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { PK, SK } from "../../../contracts/table-schema.js";
import { MASKED_KEY_PATTERN } from "../../../functions/key-custody/masked-key.js";
import type { PortalKey } from "../../../functions/portal/portal-types.js";
import { releaseCandidateKey } from "../../../functions/practice/candidate-keys.js";
import type { PracticeStore } from "../../../functions/practice/practice-store.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { migrateInterruptedThenResumed } from "../../support/interrupted-migration.js";
import { offboardPractice } from "../../support/offboard-practice.js";
import { testFingerprinter, testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

const KEYS = {
  active: "QJXZR4PNK5B8W2HD",
  returning: "565ATSAH4SZD0001",
  failed: "AAM2PQ7LXW3Z7ZUD",
  released: "RLSD9K2M4N6P8Q1R",
};
const ALL_KEYS = Object.values(KEYS);
const oldMask = (key: string) => `${key.slice(0, 4)}…${key.slice(-4)}`;
const portalKey = (customerKey: string): PortalKey => ({
  customerKey,
  keyStatus: "Enabled",
  dateCreated: "2025-06-01",
  dateDisabled: null,
  dateTimeAssigned: null,
  devRefId: "",
});

let table: TestDocumentTable;
let store: PracticeStore;

async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({ TableName: table.tableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

async function onboarded(practiceId: string, customerKey: string, executionName: string) {
  await store.claimForOnboarding({ practiceId, devRefId: practiceId, executionName, requestedBy: "t" });
  await store.recordCreateAttempt({ practiceId, executionName });
  await store.recordKeyCreated({ practiceId, executionName, key: portalKey(customerKey) });
}

/** What the store writes today, for a life of each kind. */
async function fillThroughTheStore(): Promise<void> {
  await onboarded("active-1", KEYS.active, "on-1");
  await store.markActive({ practiceId: "active-1", executionName: "on-1", expectedVersion: 2 });
  await onboarded("returning-1", KEYS.returning, "on-2");
  await store.markActive({ practiceId: "returning-1", executionName: "on-2", expectedVersion: 2 });
  await offboardPractice(store, { practiceId: "returning-1", executionName: "off-1" });
  await store.claimForOnboarding({
    practiceId: "returning-1",
    devRefId: "returning-1",
    executionName: "on-3",
    requestedBy: "t",
  });
  await onboarded("failed-1", KEYS.failed, "on-4");
  await store.markFailed({
    practiceId: "failed-1",
    executionName: "on-4",
    reason: `PortalRejected: refused; key ${testMask(KEYS.failed)} NOT disabled`,
  });
  await releaseCandidateKey(
    { client: table.client, tableName: table.tableName, fingerprint: testFingerprinter },
    { customerKey: KEYS.released, runId: "run-1", actor: "ops:alice", reason: "by hand", now: new Date() },
  );
}

/** `value` with every new-form mask of a known key in the old form, as the code before this change stored it. */
function aged(value: unknown): unknown {
  if (typeof value === "string")
    return ALL_KEYS.reduce((text, key) => text.split(testMask(key)).join(oldMask(key)), value);
  if (Array.isArray(value)) return value.map(aged);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([name, v]) => [name, aged(v)]));
  return value;
}

/** Rewrites every item's masked keys into the old form, attribute by attribute. */
async function ageTheTable(): Promise<number> {
  let changed = 0;
  for (const item of await scanAll()) {
    for (const [name, value] of Object.entries(item)) {
      if (name === PK || name === SK) continue;
      const old = aged(value);
      if (JSON.stringify(old) === JSON.stringify(value)) continue;
      await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: { [PK]: item[PK], [SK]: item[SK] },
          UpdateExpression: "SET #a = :v",
          ExpressionAttributeNames: { "#a": name },
          ExpressionAttributeValues: { ":v": old },
        }),
      );
      changed += 1;
    }
  }
  return changed;
}

/** Every string outside the key attributes, with where it is. */
function strings(value: unknown, path: string): Array<{ path: string; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([name, v]) =>
      name === "customerKey" || name === "previousCustomerKey" ? [] : strings(v, `${path}.${name}`),
    );
  return [];
}

const shownStrings = async () =>
  (await scanAll()).flatMap((item) => strings(item, `${item[PK]}/${item[SK]}`));

beforeEach(async () => {
  table = await createTestDocumentTable();
  store = testPracticeStore(table);
  await fillThroughTheStore();
  expect(await ageTheTable()).toBeGreaterThan(10);
});

describe("migrateKeys on masked keys", () => {
  it("starts from a table holding the old form in records, ledger, attempts, releases, audit and reasons", async () => {
    const old = (await shownStrings()).filter(({ text }) => ALL_KEYS.some((k) => text.includes(oldMask(k))));
    const where = new Set(old.map(({ path }) => path.split("/")[1]!.split("#")[0]!.split(".")[0]));
    expect([...where].sort()).toEqual(["ATTEMPT", "AUDIT", "KEY", "PRACTICE", "RELEASED"]);
  });

  it("rewrites every one into the new form of its own key, leaving no 8 characters of any key", async () => {
    const counts = await store.migrateKeys();
    expect(counts.maskedKeys).toBeGreaterThan(10);
    const shown = await shownStrings();
    const leaks = shown.filter(({ text }) =>
      ALL_KEYS.some((key) => text.includes(`${key.slice(0, 4)}…`) || text.includes(key.slice(0, 8))),
    );
    expect(leaks).toEqual([]);
    const masked = shown.filter(({ path }) => /maskedKey$/i.test(path));
    expect(masked.filter(({ text }) => !MASKED_KEY_PATTERN.test(text))).toEqual([]);
    expect(await store.getPractice("active-1")).toMatchObject({ maskedKey: testMask(KEYS.active) });
    expect(await store.getPractice("returning-1")).toMatchObject({
      previousMaskedKey: testMask(KEYS.returning),
    });
    const failed = await store.getPractice("failed-1");
    expect(failed).toMatchObject({ maskedKey: testMask(KEYS.failed) });
    expect(failed?.failureReason).toContain(`key ${testMask(KEYS.failed)} NOT disabled`);
    expect((await store.getKeyOwner(await testFingerprinter(KEYS.active)))?.maskedKey).toBe(
      testMask(KEYS.active),
    );
    const audit = await store.listAudit("active-1");
    expect(audit.find((e) => e.action === "KEY_CREATED")?.details).toMatchObject({
      maskedKey: testMask(KEYS.active),
    });
    expect((await store.getCreateAttempt("active-1", "on-1"))?.maskedKey).toBe(testMask(KEYS.active));
  });

  it("changes nothing when run again", async () => {
    await store.migrateKeys();
    const before = await scanAll();
    expect(await store.migrateKeys()).toMatchObject({ maskedKeys: 0 });
    expect(await scanAll()).toEqual(before);
  });

  it("resumes from the cursor of an interrupted run and ends where a whole run ends", async () => {
    await migrateInterruptedThenResumed(store, 3);
    const whole = await scanAll();
    expect(await store.migrateKeys()).toMatchObject({ maskedKeys: 0 });
    expect(await scanAll()).toEqual(whole);
    const leaks = (await shownStrings()).filter(({ text }) =>
      ALL_KEYS.some((key) => text.includes(`${key.slice(0, 4)}…`)),
    );
    expect(leaks).toEqual([]);
  });
});
