// Issue 15: the practice table holds a CustomerKey only as a `kms1:` ciphertext under the custody key, encrypted
// where the plaintext arrives (create-key's record write, `ops import`, the reconciliation scratch), with the
// practice (or the run) as encryption context; only a store with the cipher gets a key back
// (docs/architecture.md §4 invariant 13).
import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { keys } from "../../../contracts/table-schema.js";
import { isEncryptedCustomerKey } from "../../../functions/key-custody/key-cipher.js";
import { KeyCiphertextRejected } from "../../../functions/key-custody/key-custody-errors.js";
import type { KeyFingerprint } from "../../../functions/key-custody/key-fingerprint.js";
import { ConfigurationError } from "../../../functions/platform/errors.js";
import type { PortalKey } from "../../../functions/portal/portal-types.js";
import { PracticeStore } from "../../../functions/practice/practice-store.js";
import { ReconciliationStore } from "../../../functions/practice/reconciliation-store.js";
import { findKeyRuns, keyRuns } from "../../../local/table-key-scan.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { testKeyCipher } from "../../support/test-key-cipher.js";
import { testFingerprinter } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

const T0 = new Date("2026-03-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let table: TestDocumentTable;
let store: PracticeStore;
let issued: string[];

beforeEach(async () => {
  table = await createTestDocumentTable();
  store = testPracticeStore(table);
  issued = [];
});

function portalKey(customerKey: string): PortalKey {
  issued.push(customerKey);
  return {
    customerKey,
    keyStatus: "Enabled",
    dateCreated: "2026-03-01",
    dateDisabled: null,
    dateTimeAssigned: null,
    devRefId: "",
  };
}

async function rawPractice(practiceId: string) {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.practice(practiceId), ConsistentRead: true }),
  );
  return Item!;
}

async function scanTable(): Promise<Record<string, unknown>[]> {
  const { Items } = await table.client.send(new ScanCommand({ TableName: table.tableName }));
  return Items ?? [];
}

async function onboard(practiceId: string, customerKey: string, exec = `exec-${practiceId}`) {
  await store.claimForOnboarding({
    practiceId,
    devRefId: `Dental ${practiceId}`,
    executionName: exec,
    requestedBy: "crm-webhook:msg_1",
    now: at(0),
  });
  await store.recordCreateAttempt({ practiceId, executionName: exec, now: at(1) });
  const recorded = await store.recordKeyCreated({
    practiceId,
    executionName: exec,
    key: portalKey(customerKey),
    now: at(2),
  });
  return store.markActive({ practiceId, executionName: exec, expectedVersion: recorded.version, now: at(3) });
}

describe("the stored CustomerKey", () => {
  it("is written as a kms1: ciphertext when create-key records it, and only the cipher opens it", async () => {
    const record = await onboard("cipher-1", "QJXZR4PNK5B8W2HD");
    const item = await rawPractice("cipher-1");
    expect(isEncryptedCustomerKey(item.customerKey)).toBe(true);
    expect(record.customerKey).toBe(item.customerKey);
    expect(findKeyRuns(await scanTable(), keyRuns(issued))).toEqual([]);
    expect(await store.revealCustomerKey(record)).toBe("QJXZR4PNK5B8W2HD");
  });

  it("does not open for another practice: a ciphertext copied to another record is rejected", async () => {
    const a = await onboard("cipher-a", "AAAAR4PNK5B8W2HD");
    const b = await onboard("cipher-b", "BBBBR4PNK5B8W2HD");
    await expect(store.revealCustomerKey({ ...b, customerKey: a.customerKey! })).rejects.toBeInstanceOf(
      KeyCiphertextRejected,
    );
  });

  it("refuses a plaintext key found on a record (written before custody) instead of using it", async () => {
    const record = await onboard("cipher-legacy", "LEGC5R4PNK5B8W2H");
    await expect(store.revealCustomerKey({ ...record, customerKey: "LEGC5R4PNK5B8W2H" })).rejects.toThrow(
      /ops migrate-keys/,
    );
  });

  it("cannot be recorded by a store without the cipher: nothing is written", async () => {
    const plain = new PracticeStore({
      client: table.client,
      tableName: table.tableName,
      fingerprint: testFingerprinter,
    });
    await plain.claimForOnboarding({
      practiceId: "cipher-none",
      devRefId: "Dental",
      executionName: "exec-none",
      requestedBy: "crm-webhook:msg_1",
      now: at(0),
    });
    await plain.recordCreateAttempt({ practiceId: "cipher-none", executionName: "exec-none", now: at(1) });
    await expect(
      plain.recordKeyCreated({
        practiceId: "cipher-none",
        executionName: "exec-none",
        key: portalKey("NONER4PNK5B8W2HD"),
        now: at(2),
      }),
    ).rejects.toBeInstanceOf(ConfigurationError);
    expect((await rawPractice("cipher-none")).customerKey).toBeUndefined();
  });

  it("stays a ciphertext through offboarding, a return and the re-enable of the old key", async () => {
    await onboard("cipher-return", "RTRN5R4PNK5B8W2H");
    const start = await store.startOffboarding({
      practiceId: "cipher-return",
      executionName: "off-1",
      requestedBy: "ops:alice",
      reason: "closed",
      now: at(10),
    });
    expect(start.outcome).toBe("claimed");
    await store.recordOffboardingKeyDisabled({
      practiceId: "cipher-return",
      executionName: "off-1",
      keyMissingInPortal: false,
      now: at(11),
    });
    await store.completeOffboarding({ practiceId: "cipher-return", executionName: "off-1", now: at(12) });
    await store.claimForOnboarding({
      practiceId: "cipher-return",
      devRefId: "Dental",
      executionName: "exec-back",
      requestedBy: "crm-webhook:msg_2",
      now: at(20),
    });
    const returning = (await store.getPractice("cipher-return"))!;
    expect(isEncryptedCustomerKey(returning.previousCustomerKey)).toBe(true);
    expect(await store.revealPreviousCustomerKey(returning)).toBe("RTRN5R4PNK5B8W2H");
    const reenabled = await store.recordKeyReenabled({
      practiceId: "cipher-return",
      executionName: "exec-back",
      now: at(21),
    });
    expect(isEncryptedCustomerKey(reenabled.customerKey)).toBe(true);
    expect(await store.revealCustomerKey(reenabled)).toBe("RTRN5R4PNK5B8W2H");
    expect(findKeyRuns(await scanTable(), keyRuns(issued))).toEqual([]);
  });
});

describe("the reconciliation scratch", () => {
  it("holds candidates' and planned repairs' keys as ciphertexts of the run; the run's store opens them", async () => {
    const runs = new ReconciliationStore({
      client: table.client,
      tableName: table.tableName,
      fingerprint: testFingerprinter,
      keyCipher: testKeyCipher,
    });
    const candidateKey = "CAND5R4PNK5B8W2H";
    const repairKey = "REPR5R4PNK5B8W2H";
    issued.push(candidateKey, repairKey);
    const fingerprint = async (key: string) => (await testFingerprinter(key)) as KeyFingerprint;
    await runs.writeCandidates(
      "run-1",
      0,
      [
        {
          customerKey: candidateKey,
          keyFingerprint: await fingerprint(candidateKey),
          maskedKey: "CAND…W2H",
          dateCreated: "2026-03-01",
          attemptIds: ["p-1#exec-1"],
        },
      ],
      T0,
    );
    await runs.writeRepairs(
      "run-1",
      0,
      [
        {
          type: "DISABLE_KEY",
          category: "UNMAPPED_KEY_OURS",
          customerKey: repairKey,
          keyFingerprint: await fingerprint(repairKey),
          practiceId: "p-1",
        },
      ],
      T0,
    );
    expect(findKeyRuns(await scanTable(), keyRuns(issued))).toEqual([]);

    const { candidates } = await runs.readCandidates("run-1", undefined, 10);
    expect(isEncryptedCustomerKey(candidates[0]!.customerKey)).toBe(true);
    expect(await runs.revealScratchKey("run-1", candidates[0]!.customerKey)).toBe(candidateKey);
    const { repairs } = await runs.readRepairs("run-1", undefined, 10);
    const repair = repairs[0]!.repair;
    if (repair.type !== "DISABLE_KEY") throw new Error("expected the DISABLE_KEY repair");
    expect(await runs.revealScratchKey("run-1", repair.customerKey)).toBe(repairKey);
    await expect(runs.revealScratchKey("run-2", repair.customerKey)).rejects.toBeInstanceOf(
      KeyCiphertextRejected,
    );
  });
});
