// Reconciliation's events come from the table's outbox (docs/events.md "Delivery"), on the synthesized state
// machine with the template's IAM enforced: the run report and its ReconciliationCompleted, an installation and
// its PracticeKeyInstalled, each written in one transaction and delivered by the stream. An installation is the
// installation of one key, known by its fingerprint: rewriting the record's masked form (issue 15's `…W2HD
// #3f9a1c`) does not make it a new one.
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../contracts/table-schema.js";
import { asEventInput, outboxEvents } from "../support/outbox-items.js";
import { readPublishedEvents } from "../support/published-events.js";
import { activePractice, HOURS_AGO } from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";

let h: ReconciliationHarness;

beforeAll(async () => {
  h = await startReconciliationHarness();
});
afterAll(() => h?.close());

const table = () => ({ client: h.client, tableName: h.tableName });

const delivered = (type: string, match: (detail: Record<string, unknown>) => boolean) =>
  readPublishedEvents(h.eventsFile).filter((e) => e["detail-type"] === type && match(e.detail));

describe("Reconciliation's events through the outbox", () => {
  it("writes ReconciliationCompleted beside the run's report, and the stream delivers it once", async () => {
    const run = await h.reconcile({});
    expect(run.status).toBe("SUCCEEDED");
    const summary = (await h.runs.getRun(run.name))!;

    const written = (await outboxEvents(table())).filter((e) => e.detail.executionName === run.name);
    expect(written.map(asEventInput)).toEqual([
      {
        type: "ReconciliationCompleted",
        occurredAt: summary.completedAt,
        executionName: run.name,
        findingsByCategory: summary.counts,
        needingAttention: summary.needingAttention,
        repaired: 0,
      },
    ]);
    const arrived = delivered("ReconciliationCompleted", (d) => d.executionName === run.name);
    expect(arrived.map((e) => e.detail)).toEqual([written[0]!.detail]);
    expect(h.denials).toEqual([]);
  });

  it("writes PracticeKeyInstalled in the installation's own transaction, and the stream delivers it once", async () => {
    const practiceId = "outbox-installed";
    const built = await activePractice(h, practiceId, { devRefId: "Outbox Dental", at: HOURS_AGO(30) });
    h.simulator.assignKey(built.customerKey, "2025-06-05 09:10:11");

    await h.reconcile({});

    const record = (await h.store.getPractice(practiceId))!;
    expect(record.installation).toMatchObject({ keyFingerprint: record.keyFingerprint });
    const written = (await outboxEvents(table())).filter(
      (e) => e.detailType === "PracticeKeyInstalled" && e.detail.practiceId === practiceId,
    );
    expect(written.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        occurredAt: record.installation!.installedAt,
        maskedKey: built.maskedKey,
        assignedInPortal: "2025-06-05 09:10:11",
      }),
    ]);
    const arrived = delivered("PracticeKeyInstalled", (d) => d.practiceId === practiceId);
    expect(arrived.map((e) => e.detail)).toEqual([written[0]!.detail]);
    expect(JSON.stringify(written)).not.toContain(built.customerKey);
    expect(h.denials).toEqual([]);
  });

  it("does not announce an installation again after the record's masked key changes form", async () => {
    const practiceId = "outbox-remasked";
    const built = await activePractice(h, practiceId, { at: HOURS_AGO(30) });
    h.simulator.assignKey(built.customerKey, "2025-06-06 11:00:00");
    await h.reconcile({});
    expect(delivered("PracticeKeyInstalled", (d) => d.practiceId === practiceId)).toHaveLength(1);

    // As issue 15's migration leaves it: the same key, shown as its last four characters and short fingerprint.
    const remasked = `…${built.customerKey.slice(-4)} #3f9a1c`;
    await h.client.send(
      new UpdateCommand({
        TableName: h.tableName,
        Key: keys.practice(practiceId),
        UpdateExpression: "SET maskedKey = :masked",
        ExpressionAttributeValues: { ":masked": remasked },
      }),
    );
    await h.reconcile({});
    await h.reconcile({ repair: true, graceMinutes: 0 });

    expect(delivered("PracticeKeyInstalled", (d) => d.practiceId === practiceId)).toHaveLength(1);
    const audit = (await h.store.listAudit(practiceId)).filter((e) => e.action === "KEY_INSTALLED");
    expect(audit).toHaveLength(1);
  });
});
