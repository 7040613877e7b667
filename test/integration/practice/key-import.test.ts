// importKeys against the portal simulator over HTTP and a fresh table in DynamoDB Local.

import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import {
  formatImportResult,
  type ImportKeysOptions,
  importKeys,
} from "../../../functions/practice/key-import.js";
import type { PracticeStore } from "../../../functions/practice/practice-store.js";
import type { PortalSimulator } from "../../../local/portal-simulator.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";
import { clientFor, useSimulators } from "../../support/portal-harness.js";
import { testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

const startSimulator = useSimulators();
const NOW = new Date("2025-06-12T10:00:00.000Z");

let table: TestDocumentTable;
let store: PracticeStore;
let sim: PortalSimulator;

beforeEach(async () => {
  table = await createTestDocumentTable();
  store = testPracticeStore(table);
  sim = await startSimulator();
});

function options(mode: ImportKeysOptions["mode"], dryRun = false): ImportKeysOptions {
  return {
    mode,
    dryRun,
    portal: clientFor(sim),
    store,
    client: table.client,
    tableName: table.tableName,
    actor: "ops:alice",
    now: () => NOW,
  };
}

async function itemCount(): Promise<number> {
  const { Items } = await table.client.send(new ScanCommand({ TableName: table.tableName }));
  return Items?.length ?? 0;
}

describe("importKeys by DevRefId", () => {
  it("records each enabled key labeled with a valid practice id as an ACTIVE practice, ledger origin imported", async () => {
    const [a, b] = sim.addKeys([
      { DevRefId: "practice-a" },
      { DevRefId: "practice-b", KeyStatus: "EnabledReadOnly" },
    ]);
    sim.addKeys([
      { DevRefId: "" },
      { DevRefId: "Bright Smiles Dental" },
      { DevRefId: "practice-c", KeyStatus: "DisabledByCustomer" },
    ]);

    const result = await importKeys(options("devref"));

    expect(result.imported).toEqual([
      { practiceId: "practice-a", maskedKey: testMask(a!.CustomerKey), devRefId: "practice-a" },
      { practiceId: "practice-b", maskedKey: testMask(b!.CustomerKey), devRefId: "practice-b" },
    ]);
    expect(result.skipped.map((s) => s.reason)).toEqual([
      "unlabeled (DevRefId is empty)",
      'DevRefId "Bright Smiles Dental" is not a valid practice id',
      "DisabledByCustomer: only enabled keys are imported",
    ]);
    expect(result.written).toBe(true);
    expect(await store.revealCustomerKey((await store.getPractice("practice-a"))!)).toBe(a!.CustomerKey);
    expect(await store.getPractice("practice-a")).toMatchObject({
      status: "ACTIVE",
      customerKey: expect.stringMatching(/^kms1:/),
      devRefId: "practice-a",
      requestedBy: "ops:alice",
      version: 1,
    });
    expect(await store.getKeyOwner(await store.fingerprint(a!.CustomerKey))).toMatchObject({
      practiceId: "practice-a",
      createdBy: "import",
    });
    const [audit] = await store.listAudit("practice-a");
    expect(audit).toMatchObject({
      action: "imported",
      actor: "ops:alice",
      details: {
        maskedKey: testMask(a!.CustomerKey),
        devRefId: "practice-a",
        portalDevRefId: "practice-a",
        keyStatus: "Enabled",
        dateCreated: a!.DateCreated,
      },
    });
    expect((await store.listPractices({ status: "ACTIVE" })).map((p) => p.practiceId)).toEqual([
      "practice-a",
      "practice-b",
    ]);
    expect(sim.calls().map((c) => c.method)).toEqual(["GET"]);
  });

  it("reports two enabled keys with one practice's DevRefId as a conflict and imports neither", async () => {
    const [one, two] = sim.addKeys([{ DevRefId: "twice" }, { DevRefId: "twice" }]);
    const result = await importKeys(options("devref"));
    expect(result.imported).toEqual([]);
    expect(result.conflicts).toEqual([
      {
        kind: "PRACTICE_HAS_TWO_KEYS",
        practiceIds: ["twice"],
        maskedKeys: [testMask(one!.CustomerKey), testMask(two!.CustomerKey)],
        message: `2 keys carry DevRefId twice (${testMask(one!.CustomerKey)}, ${testMask(two!.CustomerKey)}); none imported`,
      },
    ]);
    expect(await itemCount()).toBe(0);
  });

  it("reports a practice the table already has with another key, and skips one already imported", async () => {
    const [first] = sim.addKeys([{ DevRefId: "again" }]);
    await importKeys(options("devref"));
    const [other] = sim.addKeys([{ DevRefId: "holder" }]);
    await store.claimForOnboarding({
      practiceId: "holder",
      devRefId: "x",
      executionName: "e1",
      requestedBy: "t",
    });

    const result = await importKeys(options("devref"));

    expect(result.alreadyImported).toEqual([
      { practiceId: "again", maskedKey: testMask(first!.CustomerKey), devRefId: "again" },
    ]);
    expect(result.conflicts).toEqual([
      {
        kind: "PRACTICE_EXISTS",
        practiceIds: ["holder"],
        maskedKeys: [testMask(other!.CustomerKey)],
        message: `practice holder is already ONBOARDING and holds no key; key ${testMask(other!.CustomerKey)} not imported`,
      },
    ]);
    expect(result.imported).toEqual([]);
  });

  it("writes nothing in a dry run but reports what it would import", async () => {
    const [a] = sim.addKeys([{ DevRefId: "dry-a" }]);
    const result = await importKeys(options("devref", true));
    expect(result).toMatchObject({
      dryRun: true,
      written: false,
      imported: [{ practiceId: "dry-a", maskedKey: testMask(a!.CustomerKey), devRefId: "dry-a" }],
    });
    expect(await itemCount()).toBe(0);
    expect(formatImportResult(result)).toContain("(dry run: nothing written)");
  });
});

describe("importKeys from CSV", () => {
  it("imports each row, labeling the record with the row's DevRefId, the portal's, or the practice id", async () => {
    const [labeled, unlabeled, own] = sim.addKeys([
      { DevRefId: "Bright Smiles" },
      { DevRefId: "" },
      { DevRefId: "p-3" },
    ]);
    const csv = `practiceId,customerKey,devRefId\r\np-1,${labeled!.CustomerKey},Bright Smiles\n"p-2", ${unlabeled!.CustomerKey}\np-3,${own!.CustomerKey}\n\n`;
    const result = await importKeys(options({ csv }));
    expect(result.errors).toEqual([]);
    expect(result.imported).toEqual([
      { practiceId: "p-1", maskedKey: testMask(labeled!.CustomerKey), devRefId: "Bright Smiles" },
      { practiceId: "p-2", maskedKey: testMask(unlabeled!.CustomerKey), devRefId: "p-2" },
      { practiceId: "p-3", maskedKey: testMask(own!.CustomerKey), devRefId: "p-3" },
    ]);
    expect(await store.revealCustomerKey((await store.getPractice("p-2"))!)).toBe(unlabeled!.CustomerKey);
  });

  it("accepts a BOM and CRLF line ends, as spreadsheet exports write them", async () => {
    const [key] = sim.addKeys([{}]);
    const csv = `\uFEFFpracticeId,customerKey\r\nexcel-1,${key!.CustomerKey}\r\n`;
    const result = await importKeys(options({ csv }));
    expect(result.errors).toEqual([]);
    expect(result.imported.map((p) => p.practiceId)).toEqual(["excel-1"]);
  });

  it("refuses a row mapping a practice to a key the portal labels for another, naming the line; writes nothing", async () => {
    const [theirs, fine] = sim.addKeys([{ DevRefId: "practice-b" }, {}]);
    const csv = `practiceId,customerKey\npractice-c,${fine!.CustomerKey}\npractice-a,${theirs!.CustomerKey}\n`;

    const result = await importKeys(options({ csv }));

    expect(result.errors).toEqual([
      {
        line: 3,
        message: `key ${testMask(theirs!.CustomerKey)} is labeled "practice-b" in the portal, not practice-a (give --accept-label-mismatch to import it anyway)`,
      },
    ]);
    expect(result.written).toBe(false);
    expect(await itemCount()).toBe(0);
  });

  it("imports a mismatched label when the operator accepts it, and records that in the audit entry", async () => {
    const [theirs] = sim.addKeys([{ DevRefId: "practice-b" }]);
    const result = await importKeys({
      ...options({ csv: `practice-a,${theirs!.CustomerKey}` }),
      acceptLabelMismatch: true,
    });
    expect(result.errors).toEqual([]);
    expect(result.imported.map((p) => p.practiceId)).toEqual(["practice-a"]);
    const [audit] = await store.listAudit("practice-a");
    expect(audit?.details).toMatchObject({ portalDevRefId: "practice-b", labelMismatchAccepted: true });
  });

  it("names every bad row by line number, never shows a full key, and writes nothing", async () => {
    const [good, disabled] = sim.addKeys([{}, { KeyStatus: "DisabledByHQ" }]);
    const csv = [
      "practiceId,customerKey",
      `ok-1,${good!.CustomerKey}`,
      "bad id!,AAAABBBBCCCCDDDD",
      "ok-2,short",
      "ok-3,ZZZZYYYYXXXXWWWW",
      `ok-4,${disabled!.CustomerKey}`,
      "only-one-field",
    ].join("\n");

    const result = await importKeys(options({ csv }));

    expect(result.errors).toEqual([
      {
        line: 3,
        message: 'practiceId must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", got "bad id!"',
      },
      { line: 4, message: "customerKey must be 16 upper-case letters or digits, got 5 characters" },
      // A key the portal does not list has no fingerprint here: its last 4 only.
      { line: 5, message: "key …WWWW is not listed by the portal" },
      {
        line: 6,
        message: `key ${testMask(disabled!.CustomerKey)} is DisabledByHQ; only enabled keys can be imported`,
      },
      { line: 7, message: "expected 2 or 3 fields (practiceId,customerKey[,devRefId]), got 1" },
    ]);
    expect(result.written).toBe(false);
    expect(await itemCount()).toBe(0);
    const text = formatImportResult(result);
    expect(text).toContain("line 5: key …WWWW is not listed by the portal");
    expect(text).not.toContain(good!.CustomerKey);
    expect(text).not.toContain("ZZZZYYYYXXXXWWWW");
  });

  it("rejects the whole file when a key or a practice is given twice, naming the lines", async () => {
    const [shared, k1, k2, fine] = sim.addKeys([{}, {}, {}, {}]);
    const csv = [
      `a,${shared!.CustomerKey}`,
      `b,${shared!.CustomerKey}`,
      `c,${k1!.CustomerKey}`,
      `c,${k2!.CustomerKey}`,
      `d,${fine!.CustomerKey}`,
      `d,${fine!.CustomerKey}`,
    ].join("\n");

    const result = await importKeys(options({ csv }));

    expect(result.errors).toEqual([
      { line: 2, message: `key ${testMask(shared!.CustomerKey)} is already given on line 1` },
      { line: 4, message: "practice c is already given a key on line 3" },
      { line: 6, message: `key ${testMask(fine!.CustomerKey)} is already given on line 5` },
    ]);
    expect(result.imported).toEqual([]);
    expect(await itemCount()).toBe(0);
  });

  it("reports a key our ledger already maps to another practice, even with the label mismatch accepted", async () => {
    const [key] = sim.addKeys([{ DevRefId: "owner" }]);
    await importKeys(options("devref"));
    const result = await importKeys({
      ...options({ csv: `newcomer,${key!.CustomerKey}` }),
      acceptLabelMismatch: true,
    });
    expect(result.conflicts).toEqual([
      {
        kind: "KEY_ALREADY_MAPPED",
        practiceIds: ["newcomer", "owner"],
        maskedKeys: [testMask(key!.CustomerKey)],
        message: `key ${testMask(key!.CustomerKey)} is already in our ledger for practice owner`,
      },
    ]);
    expect(await store.getPractice("newcomer")).toBeUndefined();
  });
});
