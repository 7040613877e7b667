// The Reconciliation state machine as synthesized, on the local engine, DynamoDB Local and the portal simulator:
// one drift per category, reported without changing anything, then repaired with exactly the right portal calls.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskKeyTail } from "../../functions/platform/mask.js";
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import { readReconciliationRun } from "../../functions/reconciliation/reconciliation-report.js";
import { offboardPractice } from "../support/offboard-practice.js";
import { eventsOfExecution } from "../support/published-events.js";
import {
  activePractice,
  asPortalKey,
  changesSince,
  HOURS_AGO,
  onboardingWithKey,
  putsFor,
  snapshot,
} from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";
import { testMask } from "../support/test-key-custody.js";

let h: ReconciliationHarness;

beforeAll(async () => {
  h = await startReconciliationHarness();
});
afterAll(() => h?.close());

const REPAIR = { repair: true, graceMinutes: 0 };

/** Findings of run `runId` about the practice or the masked key. */
async function findingsAbout(runId: string, about: { practiceId?: string; maskedKey?: string }) {
  const { findings } = await readReconciliationRun(h.runs, runId);
  return findings.filter(
    (f) =>
      (about.practiceId !== undefined && f.practiceId === about.practiceId) ||
      (about.maskedKey !== undefined && f.maskedKey === about.maskedKey),
  );
}

/** Runs report-only and proves nothing changed in the table or the portal; returns the run's name. */
async function reportOnly(): Promise<string> {
  const before = await snapshot(h);
  const calls = h.simulator.calls().length;
  const run = await h.reconcile({});
  expect(run.status).toBe("SUCCEEDED");
  expect(changesSince(h, calls)).toEqual([]);
  expect(await snapshot(h)).toEqual(before);
  return run.name;
}

/** Runs with repair and returns the portal changes it made and its name. */
async function repair(): Promise<{ name: string; changes: string[] }> {
  const calls = h.simulator.calls().length;
  const run = await h.reconcile(REPAIR);
  expect(run.status).toBe("SUCCEEDED");
  return { name: run.name, changes: changesSince(h, calls) };
}

async function reconcilerAudit(practiceId: string) {
  return (await h.store.listAudit(practiceId))
    .filter((entry) => entry.actor === "reconciler")
    .map(({ action, details }) => ({ action, details }));
}

/**
 * The practice record with its key opened, as the test (holding the local administrator's credentials) compares it
 * with the portal's keys; the table itself holds only the ciphertext (docs/architecture.md §4 invariant 13).
 */
async function openedRecord(practiceId: string): Promise<PracticeRecord | undefined> {
  const record = await h.store.getPractice(practiceId);
  return record?.customerKey ? { ...record, customerKey: await h.store.revealCustomerKey(record) } : record;
}

describe("Reconciliation workflow", () => {
  it("reports UNMAPPED_KEY_OURS for a ledger key no practice holds, then disables exactly that key", async () => {
    // First onboarding FAILED and could not disable its key; the practice was onboarded again with a new key.
    const practiceId = "ours-1";
    const [orphan] = h.simulator.addKeys([{}]);
    await onboardingWithKey(h, practiceId, orphan!, {
      devRefId: "Orphan Dental",
      executionName: "first",
      at: HOURS_AGO(2),
    });
    await h.store.markFailed({
      practiceId,
      executionName: "first",
      reason: "label refused",
      keyDisabled: false,
      now: HOURS_AGO(2),
    });
    const [current] = h.simulator.addKeys([{ DevRefId: "Orphan Dental" }]);
    await onboardingWithKey(h, practiceId, current!, { devRefId: "Orphan Dental", executionName: "second" });
    const record = (await openedRecord(practiceId))!;
    await h.store.markActive({ practiceId, executionName: "second", expectedVersion: record.version });
    const masked = testMask(orphan!.CustomerKey);

    const report = await reportOnly();
    expect(await findingsAbout(report, { practiceId })).toEqual([
      {
        category: "UNMAPPED_KEY_OURS",
        practiceId,
        maskedKey: masked,
        details: {
          reason: `practice is ACTIVE and holds ${testMask(current!.CustomerKey)}`,
          origin: "onboarding",
          createdBy: "first",
          keyStatus: "Enabled",
          devRefId: "",
        },
      },
    ]);

    const { changes } = await repair();
    expect(changes).toEqual([`PUT ${maskKeyTail(orphan!.CustomerKey)} 200`]);
    expect(putsFor(h, orphan!.CustomerKey)).toEqual([{ KeyStatus: "DisabledByDeveloper" }]);
    expect(putsFor(h, current!.CustomerKey)).toEqual([]);
    expect(await reconcilerAudit(practiceId)).toEqual([
      {
        action: "RECONCILER_KEY_DISABLED",
        details: { maskedKey: masked, category: "UNMAPPED_KEY_OURS", keyStatus: "DisabledByDeveloper" },
      },
    ]);
    expect(
      (await h.store.getKeyOwner(await h.store.fingerprint(orphan!.CustomerKey)))?.disabledAt,
    ).toBeDefined();
    expect((await openedRecord(practiceId))?.status).toBe("ACTIVE");
  });

  it("reports UNMAPPED_KEY_FOREIGN for a key we never created and never touches it, even when repairing", async () => {
    const [foreign] = h.simulator.addKeys([{ DevRefId: "Made By Hand", DateCreated: "2024-02-03" }]);
    const masked = testMask(foreign!.CustomerKey);

    const report = await reportOnly();
    expect(await findingsAbout(report, { maskedKey: masked })).toEqual([
      {
        category: "UNMAPPED_KEY_FOREIGN",
        maskedKey: masked,
        details: { keyStatus: "Enabled", devRefId: "Made By Hand", dateCreated: "2024-02-03" },
      },
    ]);

    const { changes } = await repair();
    expect(changes).toEqual([]);
    expect(h.simulator.keys().find((k) => k.CustomerKey === foreign!.CustomerKey)).toMatchObject({
      KeyStatus: "Enabled",
      DevRefId: "Made By Hand",
      history: [],
    });
  });

  it("reports KEY_MISSING for a practice whose key the portal does not list, and repairs nothing", async () => {
    const practiceId = "missing-1";
    // Recorded, then gone from the portal: the simulator never lists it.
    const absent = { ...asPortalKey(h.simulator.addKeys([{}])[0]!), customerKey: "ZZZZ00000000MISS" };
    await h.store.claimForOnboarding({
      practiceId,
      devRefId: "Gone Dental",
      executionName: "m1",
      requestedBy: "test",
    });
    await h.store.recordCreateAttempt({ practiceId, executionName: "m1" });
    await h.store.recordKeyCreated({ practiceId, executionName: "m1", key: absent });
    await h.store.markActive({
      practiceId,
      executionName: "m1",
      expectedVersion: (await openedRecord(practiceId))!.version,
    });

    const report = await reportOnly();
    expect(await findingsAbout(report, { practiceId })).toEqual([
      {
        category: "KEY_MISSING",
        practiceId,
        maskedKey: testMask(absent.customerKey),
        details: { practiceStatus: "ACTIVE" },
      },
    ]);

    const { changes } = await repair();
    expect(changes).toEqual([]);
    expect(await reconcilerAudit(practiceId)).toEqual([]);
  });

  it("reports SHOULD_BE_DISABLED for an offboarded practice whose key is enabled, then disables it", async () => {
    const practiceId = "offboarded-1";
    const built = await activePractice(h, practiceId, { devRefId: "Churned Dental" });
    await offboardPractice(h.store, { practiceId, executionName: "off-1" });

    const report = await reportOnly();
    expect(await findingsAbout(report, { practiceId })).toEqual([
      {
        category: "SHOULD_BE_DISABLED",
        practiceId,
        maskedKey: built.maskedKey,
        details: { practiceStatus: "OFFBOARDED", keyStatus: "Enabled" },
      },
    ]);

    const { changes } = await repair();
    expect(changes).toEqual([`PUT ${maskKeyTail(built.customerKey)} 200`]);
    expect(putsFor(h, built.customerKey)).toEqual([{ KeyStatus: "DisabledByDeveloper" }]);
    expect(await reconcilerAudit(practiceId)).toEqual([
      {
        action: "RECONCILER_KEY_DISABLED",
        details: {
          maskedKey: built.maskedKey,
          category: "SHOULD_BE_DISABLED",
          keyStatus: "DisabledByDeveloper",
        },
      },
    ]);
    expect((await openedRecord(practiceId))?.status).toBe("OFFBOARDED");
  });

  it.each([
    ["DisabledByCustomer", "customer"],
    ["DisabledByHQ", "HQ"],
    ["DisabledByDeveloper", "developer"],
  ])(
    "reports UNEXPECTEDLY_DISABLED (%s) for an active practice and never re-enables it",
    async (status, by) => {
      const practiceId = `disabled-${by}`;
      const built = await activePractice(h, practiceId, {
        devRefId: `Disabled ${by}`,
        portal: { KeyStatus: status, DateDisabled: "2025-05-01" },
      });

      const report = await reportOnly();
      expect(await findingsAbout(report, { practiceId })).toEqual([
        {
          category: "UNEXPECTEDLY_DISABLED",
          practiceId,
          maskedKey: built.maskedKey,
          details: { keyStatus: status, disabledBy: by, dateDisabled: "2025-05-01" },
        },
      ]);

      const { changes } = await repair();
      expect(changes).toEqual([]);
      expect(await reconcilerAudit(practiceId)).toEqual([]);
    },
  );

  it("reports LABEL_DRIFT when the portal's DevRefId differs, then re-labels with the record's", async () => {
    const practiceId = "drift-1";
    const built = await activePractice(h, practiceId, {
      devRefId: "Bright Smiles",
      portal: { DevRefId: "Old Name Dental" },
    });

    const report = await reportOnly();
    expect(await findingsAbout(report, { practiceId })).toEqual([
      {
        category: "LABEL_DRIFT",
        practiceId,
        maskedKey: built.maskedKey,
        details: { portalDevRefId: "Old Name Dental", recordDevRefId: "Bright Smiles" },
      },
    ]);

    const { changes } = await repair();
    expect(changes).toEqual([`PUT ${maskKeyTail(built.customerKey)} 200`]);
    expect(putsFor(h, built.customerKey)).toEqual([{ DevRefId: "Bright Smiles" }]);
    expect(await reconcilerAudit(practiceId)).toEqual([
      {
        action: "RECONCILER_KEY_RELABELED",
        details: { maskedKey: built.maskedKey, category: "LABEL_DRIFT", devRefId: "Bright Smiles" },
      },
    ]);
  });

  it("reports a STUCK onboarding that holds a key, then labels it and completes it ACTIVE — no new key", async () => {
    const practiceId = "stuck-key";
    const [raw] = h.simulator.addKeys([{}]);
    const built = await onboardingWithKey(h, practiceId, raw!, {
      devRefId: "Stuck Dental",
      executionName: "vanished-exec",
      at: HOURS_AGO(2),
    });

    const report = await reportOnly();
    expect(await findingsAbout(report, { practiceId })).toEqual([
      {
        category: "STUCK",
        practiceId,
        maskedKey: built.maskedKey,
        details: {
          status: "ONBOARDING",
          since: (await openedRecord(practiceId))!.updatedAt,
          lastExecution: "vanished-exec",
          execution: "NOT_FOUND",
          keyInPortal: "Enabled",
        },
      },
    ]);

    const { changes } = await repair();
    expect(changes).toEqual([`PUT ${maskKeyTail(built.customerKey)} 200`]);
    expect(putsFor(h, built.customerKey)).toEqual([{ DevRefId: "Stuck Dental" }]);
    expect(await openedRecord(practiceId)).toMatchObject({
      status: "ACTIVE",
      customerKey: built.customerKey,
    });
    expect((await reconcilerAudit(practiceId)).map((e) => e.action)).toEqual([
      "KEY_LABELED",
      "ONBOARDING_COMPLETED",
    ]);
    // Integrators hear of it as of any onboarding, under the execution that left it stuck.
    expect(eventsOfExecution(h.eventsFile, "vanished-exec")).toEqual([
      [
        "PracticeOnboarded",
        expect.objectContaining({
          practiceId,
          maskedKey: built.maskedKey,
          occurredAt: (await openedRecord(practiceId))!.activatedAt,
        }),
      ],
    ]);
  });

  it("fails a STUCK onboarding that never got a key with reason 'stuck', without any portal call", async () => {
    const practiceId = "stuck-nokey";
    await h.store.claimForOnboarding({
      practiceId,
      devRefId: "Keyless Dental",
      executionName: "vanished-2",
      requestedBy: "test",
      now: HOURS_AGO(3),
    });

    const report = await reportOnly();
    expect((await findingsAbout(report, { practiceId })).map((f) => f.category)).toEqual(["STUCK"]);

    const { changes } = await repair();
    expect(changes).toEqual([]);
    expect(await openedRecord(practiceId)).toMatchObject({ status: "FAILED", failureReason: "stuck" });
    expect((await reconcilerAudit(practiceId)).map((e) => e.action)).toEqual(["ONBOARDING_FAILED"]);
    expect(eventsOfExecution(h.eventsFile, "vanished-2")).toEqual([
      [
        "PracticeOnboardingFailed",
        expect.objectContaining({ practiceId, reason: "ReconciliationFoundStuck", message: "stuck" }),
      ],
    ]);
  });

  it("finishes a STUCK offboarding: disables the key and records OFFBOARDED as the reconciler", async () => {
    const practiceId = "stuck-off";
    const built = await activePractice(h, practiceId, { devRefId: "Leaving Dental", at: HOURS_AGO(5) });
    await h.store.startOffboarding({
      practiceId,
      executionName: "offboard-vanished",
      requestedBy: "ops:bob",
      reason: "contract ended",
      now: HOURS_AGO(4),
    });

    const report = await reportOnly();
    expect(
      (await findingsAbout(report, { practiceId })).map((f) => [f.category, f.details.execution]),
    ).toEqual([["STUCK", "NOT_FOUND"]]);

    const { changes } = await repair();
    expect(changes).toEqual([`PUT ${maskKeyTail(built.customerKey)} 200`]);
    expect(putsFor(h, built.customerKey)).toEqual([{ KeyStatus: "DisabledByDeveloper" }]);
    expect(await openedRecord(practiceId)).toMatchObject({
      status: "OFFBOARDED",
      customerKey: built.customerKey,
      offboarding: { portalKeyStatus: "DisabledByDeveloper", keyMissingInPortal: false },
    });
    expect((await reconcilerAudit(practiceId)).map((e) => e.action)).toEqual([
      "KEY_DISABLED",
      "OFFBOARDING_COMPLETED",
    ]);
    expect(eventsOfExecution(h.eventsFile, "offboard-vanished")).toEqual([
      [
        "PracticeOffboarded",
        expect.objectContaining({ practiceId, maskedKey: built.maskedKey, reason: "contract ended" }),
      ],
    ]);
  });

  it("does not report an in-between practice younger than the grace period", async () => {
    const practiceId = "young-onboarding";
    await h.store.claimForOnboarding({
      practiceId,
      devRefId: "Young",
      executionName: "young",
      requestedBy: "t",
    });
    const run = await h.reconcile({ graceMinutes: 30 });
    expect(await findingsAbout(run.name, { practiceId })).toEqual([]);
  });

  it("reports NOT_YET_ASSIGNED for a practice active for more than N days that never installed its key", async () => {
    const practiceId = "not-installed";
    const built = await activePractice(h, practiceId, { devRefId: "Slow Dental", at: HOURS_AGO(24 * 10) });
    const installed = await activePractice(h, "installed", {
      devRefId: "Fast Dental",
      at: HOURS_AGO(24 * 10),
      portal: { DateTimeAssigned: "2025-06-01 09:30:00" },
    });

    const report = await reportOnly();
    expect(await findingsAbout(report, { practiceId })).toEqual([
      {
        category: "NOT_YET_ASSIGNED",
        practiceId,
        maskedKey: built.maskedKey,
        details: { activeSince: (await openedRecord(practiceId))!.activatedAt!, days: 7 },
      },
    ]);
    expect(await findingsAbout(report, { practiceId: installed.practiceId })).toEqual([]);
    const longer = await h.reconcile({ notYetAssignedDays: 11 });
    expect(await findingsAbout(longer.name, { practiceId })).toEqual([]);

    const { changes } = await repair();
    expect(changes).toEqual([]);
  });

  it("stores counts on the run, returns only a reference and counts, and publishes ReconciliationCompleted", async () => {
    const run = await h.reconcile({});
    const output = JSON.parse(run.output!);
    const summary = (await h.runs.getRun(run.name))!;
    expect(output).toEqual({
      runId: run.name,
      status: "SUCCEEDED",
      repair: false,
      counts: summary.counts,
      needingAttention: summary.needingAttention,
      repairs: { planned: 0, done: 0, skipped: 0, failed: 0, deferred: 0 },
      keysListed: h.simulator.keys().length,
      practicesChecked: summary.practicesChecked,
    });
    expect(summary).toMatchObject({
      status: "SUCCEEDED",
      repair: false,
      graceMinutes: 30,
      notYetAssignedDays: 7,
    });
    const events = readFileSync(h.eventsFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .filter((e) => e.detail.executionName === run.name);
    expect(events.map((e) => [e["detail-type"], e.detail])).toEqual([
      [
        "ReconciliationCompleted",
        {
          schemaVersion: "1",
          eventId: expect.any(String),
          occurredAt: summary.completedAt,
          executionName: run.name,
          findingsByCategory: summary.counts,
          needingAttention: summary.needingAttention,
          repaired: 0,
        },
      ],
    ]);
  });

  it("fails the execution naming the field when the input is invalid, and records no run", async () => {
    const run = await h.reconcile({ repiar: true });
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe("InvalidInput");
    expect(JSON.parse(run.cause!).errorMessage).toBe(
      'unknown field "repiar"; a reconciliation takes repair, graceMinutes and notYetAssignedDays',
    );
    expect(await h.runs.getRun(run.name)).toBeUndefined();
  });
});
