// The DynamoDB activation link store against the store contract (DynamoDB Local, the stack's own table), and
// what only the table shows: items addressed by the token's hash, never the token; the practice's pointer; TTL;
// the key source, the audit trail and the shared per-source rate limiter.
import { QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { ACTIVATION_LINK_EXPIRY, keys, TTL_ATTRIBUTE } from "../../../contracts/table-schema.js";
import { newActivationLink } from "../../../functions/activation/activation-link.js";
import {
  issueActivationLink,
  revokeActivationLinks,
} from "../../../functions/activation/activation-links.js";
import { activationAuditTrail } from "../../../functions/practice/activation-audit-trail.js";
import { practiceKeySource } from "../../../functions/practice/activation-key-source.js";
import {
  ACTIVATION_LINK_RETENTION_MS,
  DynamoActivationLinkStore,
} from "../../../functions/practice/activation-link-store.js";
import { DynamoSourceRateLimiter } from "../../../functions/practice/activation-rate-limiter.js";
import { listAudit } from "../../../functions/practice/audit-trail.js";
import type { PracticeTable } from "../../../functions/practice/practice-table.js";
import { describeActivationLinkStoreContract } from "../../activation/activation-link-store-contract.js";
import { createTestDocumentTable } from "../../support/document-client.js";
import { testKeyCipher } from "../../support/test-key-cipher.js";

const KEY = "QJXZR4PNK5B8W2HD";
const T0 = new Date("2026-03-02T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

async function freshTable(): Promise<PracticeTable> {
  const { client, tableName } = await createTestDocumentTable();
  return { client, tableName };
}

describeActivationLinkStoreContract("DynamoActivationLinkStore", async () => {
  return new DynamoActivationLinkStore(await freshTable());
});

let table: PracticeTable;
beforeAll(async () => {
  table = await freshTable();
});

async function allItems(): Promise<Record<string, unknown>[]> {
  const { Items } = await table.client.send(new ScanCommand({ TableName: table.tableName }));
  return Items ?? [];
}

describe("DynamoActivationLinkStore items", () => {
  it("keys a link by its token hash, points the practice at it, and holds no token or key", async () => {
    const store = new DynamoActivationLinkStore(table);
    const { token, link } = newActivationLink({ practiceId: "items-1", keyBinding: KEY, now: T0 });
    await store.issue(link, T0);
    const items = (await allItems()).filter((i) => JSON.stringify(i).includes("items-1"));
    expect(items.map((i) => [i.pk, i.sk]).sort()).toEqual(
      [
        [keys.activationLink(link.tokenHash).pk, "LINK"],
        ["PRACTICE#items-1", "ACTIVATION_LINK"],
      ].sort(),
    );
    const serialized = JSON.stringify(items);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toContain(KEY);
    const linkItem = items.find((i) => i.sk === "LINK")!;
    expect(linkItem[ACTIVATION_LINK_EXPIRY]).toBe(link.expiresAt);
    // DynamoDB TTL acts only on a Number of epoch seconds (AWS: "Using time to live"); kept past the expiry.
    expect(linkItem[TTL_ATTRIBUTE]).toBe((Date.parse(link.expiresAt) + ACTIVATION_LINK_RETENTION_MS) / 1000);
    expect(await store.latestForPractice("items-1")).toEqual(link);
  });

  it("leaves exactly one open link after concurrent issues for one practice", async () => {
    const store = new DynamoActivationLinkStore(table);
    const links = Array.from(
      { length: 5 },
      () => newActivationLink({ practiceId: "race-1", keyBinding: KEY, now: T0 }).link,
    );
    await Promise.all(links.map((l) => store.issue(l, T0)));
    const stored = await Promise.all(links.map((l) => store.findByTokenHash(l.tokenHash)));
    const open = stored.filter((l) => l && !l.revokedAt);
    expect(open).toHaveLength(1);
    expect((await store.latestForPractice("race-1"))?.tokenHash).toBe(open[0]?.tokenHash);
  });
});

describe("practice table as the activation key source", () => {
  it("gives an ACTIVE practice's name and key, and nothing for another status or an unknown practice", async () => {
    const cipherTable = { ...table, keyCipher: testKeyCipher };
    const put = async (practiceId: string, status: string) =>
      table.client.send(
        new (await import("@aws-sdk/lib-dynamodb")).PutCommand({
          TableName: table.tableName,
          Item: {
            ...keys.practice(practiceId),
            practiceId,
            devRefId: `Dental ${practiceId}`,
            status,
            version: 3,
            // As the table holds it (docs/architecture.md §4 invariant 13): ciphertext and fingerprint.
            customerKey: await testKeyCipher.encrypt(KEY, { practiceId }),
            keyFingerprint: "f".repeat(64),
          },
        }),
      );
    await put("src-active", "ACTIVE");
    await put("src-offboarding", "OFFBOARDING");
    const source = practiceKeySource(cipherTable);
    const active = await source.activationKey("src-active");
    // Bound by the fingerprint, opened only on reveal.
    expect(active).toMatchObject({
      practiceId: "src-active",
      devRefId: "Dental src-active",
      keyBinding: "f".repeat(64),
    });
    expect(JSON.stringify(active)).not.toContain(KEY.slice(0, 8));
    expect(await active!.reveal()).toBe(KEY);
    expect(await source.activationKey("src-offboarding")).toBeUndefined();
    expect(await source.activationKey("src-nobody")).toBeUndefined();
  });
});

describe("activation audit trail", () => {
  it("records issue and revocation on the practice's trail with the link id, never the URL or token", async () => {
    let tick = 0;
    const deps = {
      store: new DynamoActivationLinkStore(table),
      keys: {
        activationKey: async (practiceId: string) => ({
          practiceId,
          devRefId: "Dental",
          keyBinding: KEY,
          reveal: async () => KEY,
        }),
      },
      audit: activationAuditTrail(table, "offboarding"),
      now: () => at(1000 * ++tick),
    };
    const first = await issueActivationLink(deps, {
      practiceId: "audit-1",
      baseUrl: "https://x.example",
      issuedBy: "ops:alice",
    });
    const second = await issueActivationLink(deps, { practiceId: "audit-1", baseUrl: "https://x.example" });
    expect(second.replaced).toHaveLength(1);
    expect(await revokeActivationLinks(deps, "audit-1", "offboarded")).toHaveLength(1);
    // A replacing issue audits the revocation and the issue at one time: order those two by action.
    const trail = (await listAudit(table, "audit-1")).sort(
      (a, b) => a.at.localeCompare(b.at) || b.action.localeCompare(a.action),
    );
    expect(trail.map((e) => [e.action, e.actor, e.details?.reason ?? null])).toEqual([
      ["ACTIVATION_LINK_ISSUED", "ops:alice", null],
      ["ACTIVATION_LINK_REVOKED", "offboarding", "replaced"],
      ["ACTIVATION_LINK_ISSUED", "ops", null],
      ["ACTIVATION_LINK_REVOKED", "offboarding", "offboarded"],
    ]);
    const serialized = JSON.stringify(trail);
    for (const url of [first.url, second.url]) expect(serialized).not.toContain(url.split("/").pop());
    expect(serialized).not.toContain(KEY);
    expect(trail.every((e) => /^[0-9a-f]{12}$/.test(String(e.details?.linkId)))).toBe(true);
  });
});

describe("DynamoSourceRateLimiter", () => {
  it("allows `limit` requests per source per window, then says when the window ends, and counts sources apart", async () => {
    const limiter = new DynamoSourceRateLimiter(table, { limit: 3, windowMs: 60_000 });
    const windowStart = new Date("2026-03-02T10:05:00.000Z");
    const within = (ms: number) => new Date(windowStart.getTime() + ms);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => limiter.take("203.0.113.7", within(15_000))),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
    expect(results.filter((r) => !r.allowed)).toEqual([
      { allowed: false, retryAfterSeconds: 45 },
      { allowed: false, retryAfterSeconds: 45 },
    ]);
    expect(await limiter.take("2001:db8::1", within(15_000))).toEqual({ allowed: true });
    expect(await limiter.take("203.0.113.7", within(60_000))).toEqual({ allowed: true });
    const { Items } = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "RATE#activation#203.0.113.7" },
      }),
    );
    expect(Items?.map((i) => [i.requests, typeof i[TTL_ATTRIBUTE]])).toEqual([
      [3, "number"],
      [1, "number"],
    ]);
  });
});
