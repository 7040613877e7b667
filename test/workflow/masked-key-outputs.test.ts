// Issue 15, "Masking": every shown form of a CustomerKey is `…W2HD #3f9a1c` (or `…W2HD` where its fingerprint is
// not at hand), never `QJXZ…W2HD`. A lifecycle through the synthesized workflows — onboarding, a lost POST, a
// failed label whose compensation fails too, an offboarding and a return, foreign keys, a repairing reconciliation
// — then every table item and index copy, execution history event, log line and domain event is searched for 8
// characters of any key the portal holds, in one run or in the old form's two halves (docs/architecture.md §4 invariants 6 and 13).
import { readFileSync } from "node:fs";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MASKED_KEY_PATTERN } from "../../functions/key-custody/masked-key.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { type OnboardingHarness, startOnboardingHarness } from "../support/onboarding-harness.js";
import { testMask } from "../support/test-key-custody.js";

let h: OnboardingHarness;
let documents: DynamoDBDocumentClient;
let execution = 0;

beforeAll(async () => {
  h = await startOnboardingHarness({ maxRps: 50 });
  documents = DynamoDBDocumentClient.from(localDynamoDbClient(inject("dynamoDbEndpoint")));
  await lifecycle();
}, 240_000);
afterAll(async () => {
  documents?.destroy();
  await h?.close();
});

const machine = (prefix: string) =>
  h.engine.stateMachines().find((sm) => sm.logicalId.startsWith(prefix))!.stateMachineArn;

async function runOn(prefix: string, input: unknown) {
  const name = `${prefix.slice(0, 5).toLowerCase()}-${++execution}`;
  const { executionArn } = await h.engine.startExecution({
    stateMachineArn: machine(prefix),
    name,
    input: JSON.stringify(input),
  });
  const ended = await h.engine.waitForExecution(executionArn);
  await h.streams.drain();
  return { ...ended, name };
}

const sim = () => h.simulator!;

async function lifecycle(): Promise<void> {
  expect((await h.run({ practiceId: "mask-active", devRefId: "Mask Dental" })).status).toBe("SUCCEEDED");
  sim().queueFaults({ kind: "commitThenDrop", method: "POST" });
  expect((await h.run({ practiceId: "mask-lost", devRefId: "Lost Dental" })).status).toBe("SUCCEEDED");
  // The label is refused and so is the compensation's disable: a reason naming the key NOT disabled.
  sim().queueFaults({ kind: "status", status: 400, method: "PUT", times: 2, body: '"Refused."' });
  expect((await h.run({ practiceId: "mask-failed", devRefId: "Failed Dental" })).status).toBe("FAILED");
  const offboarded = await runOn("OffboardingStateMachine", {
    practiceId: "mask-active",
    reason: "churned",
    requestedBy: "ops:alice",
  });
  expect(offboarded.status).toBe("SUCCEEDED");
  expect((await h.run({ practiceId: "mask-active", devRefId: "Mask Dental" })).status).toBe("SUCCEEDED");
  sim().addKeys([{ DevRefId: "Made By Hand" }, { DevRefId: "" }]);
  expect((await runOn("ReconciliationStateMachine", {})).status).toBe("SUCCEEDED");
  expect((await runOn("ReconciliationStateMachine", { repair: true, graceMinutes: 0 })).status).toBe(
    "SUCCEEDED",
  );
}

async function scanTable(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: tableName(), ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const tableName = () => h.store.tableName;

/** The attributes that hold the key itself (the `cipher` work encrypts them); everything else is searched. */
const KEY_ATTRIBUTE = /^(customerKey|previousCustomerKey)$/;

/** Every string in `value` with the path leading to it, the key-holding attributes left out. */
function strings(value: unknown, path = ""): Array<{ path: string; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([name, v]) =>
      KEY_ATTRIBUTE.test(name) ? [] : strings(v, path ? `${path}.${name}` : name),
    );
  return [];
}

/**
 * What would give away too much of a key: any 8-character run of it, or its first 4 characters followed by an
 * ellipsis (the old `QJXZ…W2HD` form: 8 characters in two halves). The new form shows the last 4 only.
 */
function revealingPieces(): Map<string, string> {
  const pieces = new Map<string, string>();
  for (const { CustomerKey } of sim().keys()) {
    for (let start = 0; start + 8 <= CustomerKey.length; start++)
      pieces.set(CustomerKey.slice(start, start + 8), testMask(CustomerKey));
    pieces.set(`${CustomerKey.slice(0, 4)}…`, testMask(CustomerKey));
  }
  return pieces;
}

function leaksIn(haystacks: Array<{ path: string; text: string }>): string[] {
  const pieces = revealingPieces();
  return haystacks.flatMap(({ path, text }) =>
    [...pieces]
      .filter(([piece]) => text.includes(piece))
      .map(([piece, masked]) => `${path}: ${piece.length} characters of ${masked}`),
  );
}

describe("Masked keys in everything the system writes", () => {
  it("ran the lifecycle against several keys", () => {
    expect(sim().keys().length).toBeGreaterThanOrEqual(5);
  });

  it("stores no 8 characters of any key outside the key attributes, in any item or index copy", async () => {
    const items = await scanTable();
    expect(items.length).toBeGreaterThan(20);
    const haystacks = items.flatMap((item) => strings(item, `${item.pk}/${item.sk}`));
    expect(leaksIn(haystacks)).toEqual([]);
  });

  it("shows every stored masked key in the new form, matching its key", async () => {
    const masked = (await scanTable())
      .flatMap((item) => strings(item, `${item.pk}/${item.sk}`))
      .filter(({ path }) => /(maskedKey|MaskedKey|maskedKeys\[\d+\])$/.test(path));
    expect(masked.length).toBeGreaterThan(10);
    expect(masked.filter(({ text }) => !MASKED_KEY_PATTERN.test(text))).toEqual([]);
    const record = await h.store.getPractice("mask-active");
    // The record holds the key's ciphertext: opened with the harness's KMS to tell its mask (§4 invariant 13).
    expect(record?.maskedKey).toBe(testMask(await h.store.revealCustomerKey(record!)));
  });

  it("puts no 8 characters of any key in an execution history event, a log line or a domain event", () => {
    const published = readFileSync(h.eventsFile, "utf8");
    expect(published).toContain('"detail-type":"PracticeOffboarded"');
    const haystacks = [
      ...h.events.map((event, i) => ({ path: `history event ${i}`, text: JSON.stringify(event) })),
      ...h.output.map((line, i) => ({ path: `output ${i}`, text: line })),
      { path: "events.jsonl", text: published },
    ];
    expect(leaksIn(haystacks)).toEqual([]);
  });

  it("names keys in domain events in the new form", () => {
    const events = readFileSync(h.eventsFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { detail: { maskedKey?: string } });
    const masked = events.map((event) => event.detail.maskedKey).filter((m) => m !== undefined);
    expect(masked.length).toBeGreaterThan(2);
    expect(masked.filter((m) => !MASKED_KEY_PATTERN.test(m!))).toEqual([]);
  });
});
