// `ops migrate-keys` on a table filled in the shape the code before key custody wrote (issue 15): ledger entries
// addressed `KEY#<customerKey>` holding the key, practice records without fingerprints, a returning practice's
// previous key, reconciliation scratch `SEEN#<customerKey>`. After the migration no address holds a key, the
// store finds every entry by fingerprint, and a re-run (or a resumed run) changes nothing.
import { PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { keys, PK, SK, STATUS_INDEX_PK, STATUS_INDEX_SK } from "../../../contracts/table-schema.js";
import { PracticeStore } from "../../../functions/practice/practice-store.js";
import { ReconciliationStore } from "../../../functions/practice/reconciliation-store.js";
import { findKeyRuns, keyRuns } from "../../../local/table-key-scan.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { migrateInterruptedThenResumed } from "../../support/interrupted-migration.js";
import { testKeyCipher } from "../../support/test-key-cipher.js";
import { testFingerprinter, testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

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
  store = testPracticeStore(table);
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
    const bare = new PracticeStore({
      client: table.client,
      tableName: table.tableName,
      keyCipher: testKeyCipher,
    });
    const before = await scanAll();
    await expect(bare.migrateKeys()).rejects.toThrow(/fingerprinter/);
    expect(await scanAll()).toEqual(before);
  });
});

/**
 * The items main wrote after the ledger moved to fingerprints and before the key was encrypted (issue 15, step 1):
 * records with `keyFingerprint` and the plaintext key, a returning practice's previous key, a run's lost-POST
 * candidate and planned repair holding plaintext keys.
 */
async function fillFingerprintedShape() {
  const [active, old, candidate, repair] = await Promise.all(
    [ACTIVE_KEY, OLD_KEY, CANDIDATE_KEY, REPAIR_KEY].map((key) => testFingerprinter(key)),
  );
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
    ...record("active-2", {
      status: "ACTIVE",
      customerKey: ACTIVE_KEY,
      maskedKey: masked(ACTIVE_KEY),
      keyFingerprint: active,
    }),
    [STATUS_INDEX_PK]: "ACTIVE",
    [STATUS_INDEX_SK]: "active-2",
  });
  await put({
    ...record("returning-2", {
      status: "ONBOARDING",
      onboardingKind: "returning",
      previousCustomerKey: OLD_KEY,
      previousKeyFingerprint: old,
      previousMaskedKey: masked(OLD_KEY),
    }),
    [STATUS_INDEX_PK]: "ONBOARDING",
    [STATUS_INDEX_SK]: "returning-2",
  });
  await put({
    ...keys.reconciliationCandidate("run-2", 0, 0),
    customerKey: CANDIDATE_KEY,
    keyFingerprint: candidate,
    dateCreated: "2025-06-12",
    attemptIds: ["active-2#exec-1"],
  });
  await put({
    ...keys.reconciliationAction("run-2", 0, 0),
    repair: {
      type: "DISABLE_KEY",
      category: "UNMAPPED_KEY_OURS",
      customerKey: REPAIR_KEY,
      keyFingerprint: repair,
      practiceId: "active-2",
    },
  });
}

const CANDIDATE_KEY = "CAND7Q3MW9KD2PL5";
const REPAIR_KEY = "REPR7Q3MW9KD2PL5";
const ALL_KEYS = [ACTIVE_KEY, OLD_KEY, CANDIDATE_KEY, REPAIR_KEY];

describe("migrateKeys on a table main wrote with fingerprints and plaintext keys", () => {
  beforeEach(fillFingerprintedShape);

  it("encrypts every stored key in place: no run of a key is left, and each opens for its owner", async () => {
    const counts = await store.migrateKeys();
    expect(counts.encryptedKeys).toBe(6); // active-1, returning-1 (previous), active-2, returning-2, candidate, repair
    expect(findKeyRuns(await scanAll(), keyRuns(ALL_KEYS))).toEqual([]);

    expect(await store.revealCustomerKey((await store.getPractice("active-2"))!)).toBe(ACTIVE_KEY);
    expect(await store.revealPreviousCustomerKey((await store.getPractice("returning-2"))!)).toBe(OLD_KEY);
    const runs = new ReconciliationStore({
      client: table.client,
      tableName: table.tableName,
      keyCipher: testKeyCipher,
    });
    const { candidates } = await runs.readCandidates("run-2", undefined, 10);
    expect(await runs.revealScratchKey("run-2", candidates[0]!.customerKey)).toBe(CANDIDATE_KEY);
    expect(candidates[0]!.maskedKey).toBe(testMask(CANDIDATE_KEY));
    const { repairs } = await runs.readRepairs("run-2", undefined, 10);
    const planned = repairs[0]!.repair as { customerKey: string };
    expect(await runs.revealScratchKey("run-2", planned.customerKey)).toBe(REPAIR_KEY);
  });

  it("is idempotent and resumable: a re-run or a resumed run encrypts nothing twice", async () => {
    let cursor: Record<string, unknown> | undefined;
    const interrupted = new Error("interrupted");
    await expect(
      store.migrateKeys({
        pageSize: 3,
        onProgress: (_counts, next) => {
          cursor = next;
          throw interrupted;
        },
      }),
    ).rejects.toBe(interrupted);
    await store.migrateKeys({ pageSize: 3, ...(cursor ? { startAfter: cursor } : {}) });
    const before = await scanAll();
    expect((await store.migrateKeys()).encryptedKeys).toBe(0);
    expect(await scanAll()).toEqual(before);
    expect(findKeyRuns(before, keyRuns(ALL_KEYS))).toEqual([]);
  });

  it("refuses to run without the custody key, changing nothing", async () => {
    const noCipher = new PracticeStore({
      client: table.client,
      tableName: table.tableName,
      fingerprint: testFingerprinter,
    });
    const before = await scanAll();
    await expect(noCipher.migrateKeys()).rejects.toThrow(/key cipher/);
    expect(await scanAll()).toEqual(before);
  });
});
