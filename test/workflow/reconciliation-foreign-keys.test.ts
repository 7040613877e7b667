// Issue 14, symptom 1: only POSTs whose outcome is unknown may have created a key of ours. Onboardings whose
// POSTs were all answered 429 (or refused before sending) created nothing, so a repairing reconciliation must
// leave alone the unlabeled, never-installed keys a person made by hand in the Developer Portal the same day.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReconciliationRun } from "../../functions/reconciliation/reconciliation-report.js";
import { changesSince } from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";
import { testMask } from "../support/test-key-custody.js";

let h: ReconciliationHarness;

beforeAll(async () => {
  h = await startReconciliationHarness();
});
afterAll(() => h?.close());

/** Enough 429s for every retry the onboarding workflow makes on POST /apikeys. */
const ALWAYS_THROTTLED = { kind: "status", method: "POST", status: 429, times: 100 } as const;

describe("Reconciliation after POSTs that certainly created nothing", () => {
  it("leaves hand-made same-day unlabeled keys enabled when two onboardings met only 429 answers", async () => {
    h.simulator.queueFaults(ALWAYS_THROTTLED);
    const first = await h.onboard({ practiceId: "throttled-1", devRefId: "Throttled One Dental" });
    const second = await h.onboard({ practiceId: "throttled-2", devRefId: "Throttled Two Dental" });
    h.simulator.clearQueuedFaults();
    expect([first.status, second.status]).toEqual(["FAILED", "FAILED"]);
    expect(h.simulator.keys().filter((k) => k.history.some((e) => e.method === "POST"))).toEqual([]);

    // Made by hand in the Developer Portal the same day: enabled, unlabeled, never installed.
    const byHand = h.simulator.addKeys([{}, {}]);
    const calls = h.simulator.calls().length;
    const run = await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(run.status).toBe("SUCCEEDED");
    expect(changesSince(h, calls)).toEqual([]);
    for (const key of byHand) {
      const now = h.simulator.keys().find((k) => k.CustomerKey === key.CustomerKey)!;
      expect({ status: now.KeyStatus, history: now.history }).toEqual({ status: "Enabled", history: [] });
      expect(await h.store.getKeyOwner(await h.store.fingerprint(key.CustomerKey))).toBeUndefined();
    }
    const { findings } = await readReconciliationRun(h.runs, run.name);
    expect(findings.filter((f) => f.category === "UNMAPPED_KEY_OURS")).toEqual([]);
    const foreign = findings.filter((f) => f.category === "UNMAPPED_KEY_FOREIGN").map((f) => f.maskedKey);
    expect(foreign.sort()).toEqual(byHand.map((k) => testMask(k.CustomerKey)).sort());
    // The attempts are accounted for: every POST was answered with a refusal.
    for (const practiceId of ["throttled-1", "throttled-2"]) {
      const [attempt] = await h.store.listCreateAttempts(practiceId);
      expect(attempt).toMatchObject({ status: "PENDING", lostResponses: 0 });
      expect(attempt!.noKeyAnswers).toBe(attempt!.attempts);
    }
  });

  it("never adopts a lost POST's key while the attempt's onboarding execution is still running", async () => {
    const practiceId = "lost-while-running";
    h.simulator.reset(); // the previous test's hand-made keys would make this one's lost key ambiguous
    // The first POST's answer is lost after the key was made; the retried POST is held for a while.
    h.simulator.queueFaults(
      { kind: "commitThenDrop", method: "POST" },
      { kind: "slow", method: "POST", ms: 20_000 },
    );
    const { executionArn } = await h.engine.startExecution({
      stateMachineArn: h.onboardingArn,
      name: "onboard-held",
      input: JSON.stringify({ practiceId, devRefId: "Held Retry Dental" }),
    });
    const lostKey = async () => {
      for (let i = 0; i < 200; i++) {
        const lost = h.simulator.keys().find((k) => k.history.some((e) => e.method === "POST"));
        if (lost) return lost;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error("the lost POST's key never appeared");
    };
    const lost = await lostKey();

    const calls = h.simulator.calls().length;
    const run = await h.reconcile({ repair: true, graceMinutes: 0 });
    // The onboarding's own held POST may land meanwhile; reconciliation itself changes nothing.
    expect(changesSince(h, calls).filter((change) => !change.startsWith("POST"))).toEqual([]);
    const { findings } = await readReconciliationRun(h.runs, run.name);
    expect(findings.filter((f) => f.category === "UNMAPPED_KEY_OURS")).toMatchObject([
      { practiceId, maskedKey: testMask(lost.CustomerKey), details: { executionRunning: true } },
    ]);
    expect(await h.store.getKeyOwner(await h.store.fingerprint(lost.CustomerKey))).toBeUndefined();

    expect((await h.engine.waitForExecution(executionArn)).status).toBe("SUCCEEDED");
    await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(h.simulator.keys().find((k) => k.CustomerKey === lost.CustomerKey)?.KeyStatus).toBe(
      "DisabledByDeveloper",
    );
  });
});
