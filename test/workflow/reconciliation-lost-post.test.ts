// Invariant 4 end to end: a POST /apikeys whose answer is lost (commit-then-drop) during an onboarding leaves
// no enabled key of ours unaccounted after a repairing reconciliation — and keys that were there before us
// are never touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskKeyTail } from "../../functions/platform/mask.js";
import { readReconciliationRun } from "../../functions/reconciliation/reconciliation-report.js";
import type { SimulatorRawKey } from "../../local/portal-simulator.js";
import { changesSince } from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";
import { testMask } from "../support/test-key-custody.js";

let h: ReconciliationHarness;

beforeAll(async () => {
  h = await startReconciliationHarness();
});
afterAll(() => h?.close());

/** Keys our POSTs created (the simulator records the POST that made each one). */
function keysWeCreated() {
  return h.simulator.keys().filter((key) => key.history.some((event) => event.method === "POST"));
}

/** Keys our POSTs created that are enabled and that no practice record holds. */
async function unaccountedEnabledKeys(): Promise<string[]> {
  const out: string[] = [];
  for (const key of keysWeCreated()) {
    if (key.KeyStatus !== "Enabled") continue;
    const fingerprint = await h.store.fingerprint(key.CustomerKey);
    const owner = await h.store.getKeyOwner(fingerprint);
    const practice = owner ? await h.store.getPractice(owner.practiceId) : undefined;
    // The record names its key by fingerprint (it holds only the ciphertext, §4 invariant 13).
    if (!practice?.customerKey || practice.keyFingerprint !== fingerprint)
      out.push(testMask(key.CustomerKey));
  }
  return out;
}

async function openAttemptsOf(practiceId: string) {
  return (await h.runs.listOpenAttempts()).filter((a) => a.practiceId === practiceId);
}

/** 300 keys that were in the portal before this system: labeled and not, every status, old dates. */
function preExistingKeys(): Array<Partial<SimulatorRawKey>> {
  const statuses = [
    "Enabled",
    "Enabled",
    "DisabledByDeveloper",
    "DisabledByCustomer",
    "DisabledByHQ",
    "EnabledReadOnly",
  ];
  return Array.from({ length: 300 }, (_, i) => ({
    KeyStatus: statuses[i % statuses.length]!,
    DateCreated: `20${21 + (i % 4)}-0${1 + (i % 9)}-1${i % 10}`,
    DevRefId: i % 3 === 0 ? "" : `Legacy Practice ${i}`,
    ...(i % 5 === 0 ? { DateTimeAssigned: "2024-01-02 10:11:12" } : {}),
  }));
}

describe("Reconciliation after a lost POST answer", () => {
  it("leaves the practice ACTIVE with one key and disables the lost key, touching none of 300 pre-existing keys", async () => {
    const preExisting = h.simulator.addKeys(preExistingKeys());
    const practiceId = "lost-active";
    h.simulator.queueFaults({ kind: "commitThenDrop", method: "POST" });
    const onboarding = await h.onboard({ practiceId, devRefId: "Lost Answer Dental" });
    expect(onboarding.status).toBe("SUCCEEDED");
    const ours = keysWeCreated();
    expect(ours).toHaveLength(2);
    const practice = (await h.store.getPractice(practiceId))!;
    const lost = ours.find((k) => k.CustomerKey !== practice.customerKey)!;
    expect(await unaccountedEnabledKeys()).toEqual([testMask(lost.CustomerKey)]);

    const report = await h.reconcile({});
    const { findings } = await readReconciliationRun(h.runs, report.name);
    expect(findings.filter((f) => f.category === "UNMAPPED_KEY_OURS")).toEqual([
      {
        category: "UNMAPPED_KEY_OURS",
        practiceId,
        maskedKey: testMask(lost.CustomerKey),
        details: {
          reason: "created by a POST whose answer was lost",
          origin: "lost-response",
          attempts: `${practiceId}#${onboarding.name}`,
          dateCreated: lost.DateCreated,
          withinGracePeriod: true,
        },
      },
    ]);
    // Pre-existing enabled keys are foreign, never ours.
    expect(findings.filter((f) => f.category === "UNMAPPED_KEY_FOREIGN")).toHaveLength(
      preExisting.filter((k) => k.KeyStatus.startsWith("Enabled")).length,
    );

    const calls = h.simulator.calls().length;
    const repaired = await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(repaired.status).toBe("SUCCEEDED");
    // The simulator knows no fingerprint: its call log shows the last 4.
    expect(changesSince(h, calls)).toEqual([`PUT ${maskKeyTail(lost.CustomerKey)} 200`]);
    expect(await unaccountedEnabledKeys()).toEqual([]);
    expect(await h.store.getPractice(practiceId)).toMatchObject({
      status: "ACTIVE",
      customerKey: practice.customerKey,
    });
    const enabledOfPractice = h.simulator
      .keys()
      .filter((k) => k.KeyStatus === "Enabled" && k.DevRefId === "Lost Answer Dental");
    expect(enabledOfPractice.map((k) => k.CustomerKey)).toEqual([await h.store.revealCustomerKey(practice)]);
    expect(await h.store.getKeyOwner(await h.store.fingerprint(lost.CustomerKey))).toMatchObject({
      practiceId,
      createdBy: onboarding.name,
    });
    expect(await openAttemptsOf(practiceId)).toEqual([]);
    expect(
      (await h.store.listAudit(practiceId)).filter((e) => e.actor === "reconciler").map((e) => e.action),
    ).toEqual(["RECONCILER_KEY_DISABLED"]);

    const now = new Map(h.simulator.keys().map((k) => [k.CustomerKey, k]));
    for (const before of preExisting) {
      const after = now.get(before.CustomerKey)!;
      expect({ status: after.KeyStatus, devRefId: after.DevRefId, history: after.history }).toEqual({
        status: before.KeyStatus,
        devRefId: before.DevRefId,
        history: [],
      });
    }

    const again = h.simulator.calls().length;
    await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(changesSince(h, again)).toEqual([]);
  });

  it("leaves the practice FAILED with no enabled key of ours when the retried POST is refused", async () => {
    const practiceId = "lost-failed";
    h.simulator.queueFaults(
      { kind: "commitThenDrop", method: "POST" },
      { kind: "status", method: "POST", status: 400, body: JSON.stringify("Key limit reached.") },
    );
    const onboarding = await h.onboard({ practiceId, devRefId: "Refused Twice Dental" });
    expect(onboarding.status).toBe("FAILED");
    expect((await h.store.getPractice(practiceId))?.status).toBe("FAILED");
    expect(await unaccountedEnabledKeys()).toHaveLength(1);

    const repaired = await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(repaired.status).toBe("SUCCEEDED");
    expect(await unaccountedEnabledKeys()).toEqual([]);
    expect((await h.store.getPractice(practiceId))?.status).toBe("FAILED");
    expect(await openAttemptsOf(practiceId)).toEqual([]);
  });

  it("defers the lost key while its attempt is younger than the grace period", async () => {
    const practiceId = "lost-young";
    h.simulator.queueFaults({ kind: "commitThenDrop", method: "POST" });
    await h.onboard({ practiceId, devRefId: "Young Loss Dental" });
    const calls = h.simulator.calls().length;
    const run = await h.reconcile({ repair: true, graceMinutes: 30 });
    expect(changesSince(h, calls)).toEqual([]);
    expect((await h.runs.getRun(run.name))?.repairs).toMatchObject({ deferred: 1, done: 0 });
    expect(await openAttemptsOf(practiceId)).toHaveLength(1);
    expect(await unaccountedEnabledKeys()).toHaveLength(1);

    await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(await unaccountedEnabledKeys()).toEqual([]);
  });

  it("calls unlabeled keys FOREIGN and touches none when there are more of them than lost POSTs", async () => {
    const practiceId = "lost-ambiguous";
    h.simulator.queueFaults({ kind: "commitThenDrop", method: "POST" });
    await h.onboard({ practiceId, devRefId: "Ambiguous Dental" });
    // Someone creates a key by hand in the portal the same day, and leaves it unlabeled.
    const [byHand] = h.simulator.addKeys([{}]);
    const lost = (await unaccountedEnabledKeys())[0]!;

    const calls = h.simulator.calls().length;
    const run = await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(changesSince(h, calls)).toEqual([]);
    const { findings } = await readReconciliationRun(h.runs, run.name);
    const possiblyOurs = findings.filter((f) => f.details.possiblyOurs === true).map((f) => f.maskedKey);
    expect(possiblyOurs.sort()).toEqual([lost, testMask(byHand!.CustomerKey)].sort());
    expect(findings.filter((f) => f.category === "UNMAPPED_KEY_OURS")).toEqual([]);
    expect(await openAttemptsOf(practiceId)).toHaveLength(1);
  });
});
