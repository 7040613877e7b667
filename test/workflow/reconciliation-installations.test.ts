// The installation funnel on the synthesized Reconciliation state machine (IAM enforced): a key the office
// installed in Open Dental (DateTimeAssigned left the sentinel) is recorded on its ACTIVE practice once, audited
// and announced once as PracticeKeyInstalled with the masked key only; keys of other practices' states, foreign
// keys and uninstalled keys change nothing. (How the event travels — the table's outbox — is in
// reconciliation-outbox.test.ts.)
import { readFileSync } from "node:fs";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../contracts/table-schema.js";
import { currentInstallation } from "../../functions/practice/key-installation.js";
import { keyInstalledEventName } from "../../functions/reconciliation/reconciliation-installations.js";
import { readPublishedEvents } from "../support/published-events.js";
import { activePractice, HOURS_AGO } from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";

let h: ReconciliationHarness;

beforeAll(async () => {
  h = await startReconciliationHarness();
});
afterAll(() => h?.close());

const installedEvents = (practiceId: string) =>
  readPublishedEvents(h.eventsFile).filter(
    (e) => e["detail-type"] === "PracticeKeyInstalled" && e.detail.practiceId === practiceId,
  );

describe("Reconciliation: the installation funnel", () => {
  it("records an installed key on its practice once, audits it and publishes PracticeKeyInstalled once", async () => {
    const practiceId = "funnel-installed";
    const built = await activePractice(h, practiceId, { devRefId: "Quick Dental", at: HOURS_AGO(50) });
    const first = await h.reconcile({});
    expect(first.status).toBe("SUCCEEDED");
    const active = (await h.store.getPractice(practiceId))!;
    expect(active.installation).toBeUndefined();

    h.simulator.assignKey(built.customerKey, "2025-06-02 14:05:09");
    const before = Date.now();
    const run = await h.reconcile({});
    expect(run.status).toBe("SUCCEEDED");

    const record = (await h.store.getPractice(practiceId))!;
    expect(record.installation).toEqual({
      keyFingerprint: record.keyFingerprint,
      installedAt: expect.any(String),
      assignedInPortal: "2025-06-02 14:05:09",
      seenBy: run.name,
      announcedAt: expect.any(String),
    });
    expect(currentInstallation(record)).toBe(record.installation);
    expect(Date.parse(record.installation!.installedAt)).toBeGreaterThanOrEqual(before - 1000);
    // An observation, not a transition: neither the version nor updatedAt moves.
    expect({ version: record.version, updatedAt: record.updatedAt }).toEqual({
      version: active.version,
      updatedAt: active.updatedAt,
    });
    const audit = (await h.store.listAudit(practiceId)).filter((e) => e.action === "KEY_INSTALLED");
    expect(audit.map(({ actor, details }) => ({ actor, details }))).toEqual([
      {
        actor: "reconciler",
        details: { maskedKey: built.maskedKey, assignedInPortal: "2025-06-02 14:05:09", runId: run.name },
      },
    ]);
    const events = installedEvents(practiceId);
    expect(events.map((e) => e.detail)).toEqual([
      {
        schemaVersion: "1",
        eventId: expect.any(String),
        occurredAt: record.installation!.installedAt,
        executionName: keyInstalledEventName(practiceId, record.keyFingerprint!),
        practiceId,
        devRefId: "Quick Dental",
        maskedKey: built.maskedKey,
        installedAt: record.installation!.installedAt,
        assignedInPortal: "2025-06-02 14:05:09",
        onboardedAt: record.activatedAt,
      },
    ]);
    expect(readFileSync(h.eventsFile, "utf8")).not.toContain(built.customerKey);

    // Later runs see it installed and recorded: nothing more is written or published.
    await h.reconcile({ repair: true, graceMinutes: 0 });
    expect((await h.store.getPractice(practiceId))!.installation).toEqual(record.installation);
    expect(installedEvents(practiceId)).toHaveLength(1);
    expect(h.denials).toEqual([]);
  });

  it("announces an installation recorded before installations were announced with their record, once", async () => {
    const practiceId = "funnel-unannounced";
    const built = await activePractice(h, practiceId, { at: HOURS_AGO(5) });
    h.simulator.assignKey(built.customerKey, "2025-06-03 08:00:00");
    // As an earlier version left it: recorded by masked key, its publish failed for good, never announced.
    const installedAt = HOURS_AGO(1).toISOString();
    await h.client.send(
      new UpdateCommand({
        TableName: h.tableName,
        Key: keys.practice(practiceId),
        UpdateExpression: "SET installation = :installation",
        ExpressionAttributeValues: {
          ":installation": {
            maskedKey: built.maskedKey,
            installedAt,
            assignedInPortal: "2025-06-03 08:00:00",
            seenBy: "earlier-run",
          },
        },
      }),
    );

    await h.reconcile({});
    await h.reconcile({});

    const record = (await h.store.getPractice(practiceId))!;
    expect(record.installation).toEqual({
      maskedKey: built.maskedKey,
      keyFingerprint: record.keyFingerprint,
      installedAt,
      assignedInPortal: "2025-06-03 08:00:00",
      seenBy: "earlier-run",
      announcedAt: expect.any(String),
    });
    expect(installedEvents(practiceId).map((e) => e.detail.installedAt)).toEqual([installedAt]);
    // Recorded once, by the earlier run: no KEY_INSTALLED audit entry of this one.
    expect((await h.store.listAudit(practiceId)).filter((e) => e.action === "KEY_INSTALLED")).toEqual([]);
  });

  it("leaves uninstalled keys, foreign installed keys and installed keys of non-ACTIVE practices alone", async () => {
    const waiting = await activePractice(h, "funnel-waiting", { at: HOURS_AGO(5) });
    const [foreign] = h.simulator.addKeys([
      { DevRefId: "Someone else", DateTimeAssigned: "2025-01-01 10:00:00" },
    ]);
    const leaving = await activePractice(h, "funnel-offboarded", { at: HOURS_AGO(5) });
    await h.store.startOffboarding({
      practiceId: "funnel-offboarded",
      executionName: "off-1",
      requestedBy: "ops:test",
      reason: "contract ended",
    });
    h.simulator.assignKey(leaving.customerKey, "2025-06-04 10:00:00");

    await h.reconcile({});

    expect((await h.store.getPractice(waiting.practiceId))!.installation).toBeUndefined();
    expect((await h.store.getPractice("funnel-offboarded"))!.installation).toBeUndefined();
    expect(readFileSync(h.eventsFile, "utf8")).not.toContain(foreign!.CustomerKey);
    expect(installedEvents("funnel-waiting")).toEqual([]);
    expect(installedEvents("funnel-offboarded")).toEqual([]);
  });
});
