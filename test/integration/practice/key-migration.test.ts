// `ops migrate-keys` on a table filled in the shape the code before key custody wrote (issue 15): ledger entries
// addressed `KEY#<customerKey>` holding the key, practice records without fingerprints, a returning practice's
// previous key, reconciliation scratch `SEEN#<customerKey>`. After the migration no address holds a key, the
// store finds every entry by fingerprint, and a re-run (or a resumed run) changes nothing.
import { PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { keys, PK, SK, STATUS_INDEX_PK, STATUS_INDEX_SK } from "../../../contracts/table-schema.js";
import { PracticeStore } from "../../../functions/practice/practice-store.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { migrateInterruptedThenResumed } from "../../support/interrupted-migration.js";
import { testFingerprinter, testMask } from "../../support/test-key-custody.js";

const ACTIVE_KEY = "QJXZR4PNK5B8W2HD";
const OLD_KEY = "565ATSAH4SZD0001";
const NOW = "2025-06-12T10:00:00.000Z";
const masked = (key: string) => `${key.slice(0, 4)}…${key.slice(-4)}`;

let table: TestDocumentTable;
let store: PracticeStore;

async function put(item: Record<string, unknown>) {
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: item }));
}

async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** The items the code before key custody wrote for an ACTIVE practice, a returning one, and a run's scratch. */
async function fillOldShape() {
  const record = (practiceId: string, extra: Record<string, unknown>) => ({
    [PK]: `PRACTICE#${practiceId}`,
    [SK]: "PRACTICE",
    practiceId,
    devRefId: practiceId,
    version: 3,
    lastExecution: "exec-1",
    requestedBy: "t",
    createdAt: NOW,
    updatedAt: NOW,
    ...extra,
  });
  await put({
    ...record("active-1", { status: "ACTIVE", customerKey: ACTIVE_KEY, maskedKey: masked(ACTIVE_KEY) }),
    [STATUS_INDEX_PK]: "ACTIVE",
    [STATUS_INDEX_SK]: "active-1",
  });
  await put({
    ...record("returning-1", {
      status: "ONBOARDING",
      onboardingKind: "returning",
      previousCustomerKey: OLD_KEY,
    }),
    [STATUS_INDEX_PK]: "ONBOARDING",
    [STATUS_INDEX_SK]: "returning-1",
  });
  for (const [key, practiceId] of [
    [ACTIVE_KEY, "active-1"],
    [OLD_KEY, "returning-1"],
  ] as const)
    await put({
      [PK]: `KEY#${key}`,
      [SK]: "KEY",
      customerKey: key,
      maskedKey: masked(key),
      practiceId,
      createdBy: "exec-1",
      createdAt: NOW,
    });
  await put({ [PK]: "RECON#run-1", [SK]: `SEEN#${ACTIVE_KEY}`, keyStatus: "Enabled", devRefId: "active-1" });
}

beforeEach(async () => {
  table = await createTestDocumentTable();
  store = new PracticeStore({
    client: table.client,
    tableName: table.tableName,
    fingerprint: testFingerprinter,
  });
  await fillOldShape();
});

describe("migrateKeys", () => {
  it("re-addresses the ledger by fingerprint, fingerprints the records, drops key-addressed scratch", async () => {
    const counts = await store.migrateKeys();
    expect(counts).toMatchObject({ ledgerEntries: 2, practiceRecords: 2, scratchItems: 1 });

    const items = await scanAll();
    const addresses = items.flatMap((item) => [String(item[PK]), String(item[SK])]);
    for (const key of [ACTIVE_KEY, OLD_KEY]) expect(addresses.filter((a) => a.includes(key))).toEqual([]);

    const activeFingerprint = await testFingerprinter(ACTIVE_KEY);
    const entry = items.find((item) => item[PK] === keys.ledgerEntry(activeFingerprint)[PK]);
    expect(entry).toEqual({
      [PK]: `KEY#${activeFingerprint}`,
      [SK]: "KEY",
      keyFingerprint: activeFingerprint,
      maskedKey: testMask(ACTIVE_KEY),
      practiceId: "active-1",
      createdBy: "exec-1",
      createdAt: NOW,
    });
    expect(await store.getPractice("active-1")).toMatchObject({
      keyFingerprint: activeFingerprint,
      maskedKey: testMask(ACTIVE_KEY),
    });
    expect(await store.getPractice("returning-1")).toMatchObject({
      previousKeyFingerprint: await testFingerprinter(OLD_KEY),
      previousMaskedKey: testMask(OLD_KEY),
    });
    expect((await store.getKeyOwner(await testFingerprinter(OLD_KEY)))?.practiceId).toBe("returning-1");
  });

  it("changes nothing when run again", async () => {
    await store.migrateKeys();
    const before = await scanAll();
    expect(await store.migrateKeys()).toMatchObject({
      ledgerEntries: 0,
      practiceRecords: 0,
      scratchItems: 0,
    });
    expect(await scanAll()).toEqual(before);
  });

  it("resumes from the cursor of an interrupted run and ends where a whole run ends", async () => {
    await migrateInterruptedThenResumed(store, 2);
    // Whatever the interrupted page did, and the resumed run did after it, a full run finds nothing left.
    expect(await store.migrateKeys()).toMatchObject({
      ledgerEntries: 0,
      practiceRecords: 0,
      scratchItems: 0,
    });
    const addresses = (await scanAll()).flatMap((item) => [String(item[PK]), String(item[SK])]);
    for (const key of [ACTIVE_KEY, OLD_KEY]) expect(addresses.filter((a) => a.includes(key))).toEqual([]);
  });

  it("refuses to run without the fingerprint secret, changing nothing", async () => {
    const bare = new PracticeStore({ client: table.client, tableName: table.tableName });
    const before = await scanAll();
    await expect(bare.migrateKeys()).rejects.toThrow(/fingerprinter/);
    expect(await scanAll()).toEqual(before);
  });
});
