// Issuing a link on PracticeOnboarded (the stack's autoIssueActivationLinks option), on DynamoDB Local: one link per
// onboarding however often the event is delivered, none for a practice no longer ACTIVE, and the event — written to
// the table's outbox in the link's own transaction — names the link id and expiry: the URL and token appear nowhere
// (outcome, event, audit trail, table).
import { PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../../contracts/table-schema.js";
import { AUTO_ISSUER, issueOnOnboarded } from "../../../functions/activation/activation-auto-issue-step.js";
import { activationTableParts } from "../../../functions/practice/activation-runtime.js";
import { listAudit } from "../../../functions/practice/audit-trail.js";
import type { PracticeTable } from "../../../functions/practice/practice-table.js";
import { createTestDocumentTable } from "../../support/document-client.js";
import { asEventInput, outboxEvents } from "../../support/outbox-items.js";

const KEY = "QJXZR4PNK5B8W2HD";
const ONBOARDED_AT = "2026-03-02T10:00:00.000Z";

let table: PracticeTable;

beforeAll(async () => {
  const { client, tableName } = await createTestDocumentTable();
  table = { client, tableName };
});

async function practice(practiceId: string, status: string): Promise<void> {
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...keys.practice(practiceId),
        practiceId,
        devRefId: `Dental ${practiceId}`,
        status,
        version: 3,
        customerKey: KEY,
        // A link binds the key's fingerprint (the key itself is stored encrypted, §4 invariant 13).
        keyFingerprint: "3f9a1c".padEnd(64, "0"),
        activatedAt: ONBOARDED_AT,
      },
    }),
  );
}

const deps = (now = new Date()) => ({ ...activationTableParts(table), now: () => now });

/** The PracticeActivationLinkIssued events the outbox holds for a practice, oldest first. */
async function linkEvents(practiceId: string): Promise<Record<string, unknown>[]> {
  return (await outboxEvents(table))
    .filter((e) => e.detailType === "PracticeActivationLinkIssued" && e.detail.practiceId === practiceId)
    .map(asEventInput)
    .sort((a, b) => String(a.occurredAt).localeCompare(String(b.occurredAt)));
}

describe("activation link on PracticeOnboarded", () => {
  it("issues one link, once per onboarding, and publishes PracticeActivationLinkIssued without the URL", async () => {
    await practice("auto-1", "ACTIVE");

    const first = await issueOnOnboarded(deps(), { practiceId: "auto-1", occurredAt: ONBOARDED_AT });
    const repeat = await issueOnOnboarded(deps(), { practiceId: "auto-1", occurredAt: ONBOARDED_AT });

    expect(first).toEqual({
      issued: true,
      practiceId: "auto-1",
      linkId: expect.stringMatching(/^[0-9a-f]{12}$/),
      expiresAt: expect.any(String),
    });
    expect(repeat).toEqual({ issued: false, practiceId: "auto-1", reason: "alreadyIssued" });
    const latest = await activationTableParts(table).store.latestForPractice("auto-1");
    expect(latest).toMatchObject({ issuedBy: AUTO_ISSUER });
    const published = await linkEvents("auto-1");
    expect(published).toEqual([
      {
        type: "PracticeActivationLinkIssued",
        executionName: `activation-link-${first.issued ? first.linkId : ""}`,
        occurredAt: latest!.issuedAt,
        practiceId: "auto-1",
        linkId: first.issued ? first.linkId : "",
        expiresAt: latest!.expiresAt,
        issuedBy: "onboarding",
      },
    ]);
    const trail = await listAudit(table, "auto-1");
    expect(trail.map((e) => e.action)).toEqual(["ACTIVATION_LINK_ISSUED"]);
    // Nothing the function returns, publishes or stores holds a URL, a token or the key.
    const { Items } = await table.client.send(new ScanCommand({ TableName: table.tableName }));
    const everything = JSON.stringify({
      first,
      published,
      trail,
      links: Items?.filter((i) => i.pk !== keys.practice("auto-1").pk),
    });
    expect(everything).not.toMatch(/activate\/|https?:/);
    expect(everything).not.toContain(KEY);
  });

  it("issues a new link for a later onboarding (a returning practice), replacing the open one", async () => {
    await practice("auto-2", "ACTIVE");
    const first = await issueOnOnboarded(deps(new Date("2026-03-03T00:00:00.000Z")), {
      practiceId: "auto-2",
      occurredAt: ONBOARDED_AT,
    });
    // Offboarded and back two days later, while the first link is still open.
    const later = await issueOnOnboarded(deps(new Date("2026-03-05T00:00:00.000Z")), {
      practiceId: "auto-2",
      occurredAt: "2026-03-04T23:59:00.000Z",
    });
    expect(later.issued).toBe(true);
    const event = (await linkEvents("auto-2")).at(-1)!;
    expect(event).toMatchObject({ replacedLinkIds: [first.issued ? first.linkId : "?"] });
  });

  it("issues nothing for a practice that is no longer ACTIVE", async () => {
    await practice("auto-3", "OFFBOARDING");
    const outcome = await issueOnOnboarded(deps(), { practiceId: "auto-3", occurredAt: ONBOARDED_AT });
    expect(outcome).toEqual({ issued: false, practiceId: "auto-3", reason: "notActive" });
    expect(await activationTableParts(table).store.latestForPractice("auto-3")).toBeUndefined();
    expect(await linkEvents("auto-3")).toEqual([]);
  });
});
