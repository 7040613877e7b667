// executeRepair against the portal simulator over HTTP and DynamoDB Local: each repair re-checks the table first,
// makes only the portal calls it needs, records the outcome and the audit entry; refusals are outcomes, not throws.

import { beforeEach, describe, expect, it } from "vitest";
import type { PortalKey } from "../../../functions/portal/portal-types.js";
import type { PracticeStore } from "../../../functions/practice/practice-store.js";
import { ReconciliationStore } from "../../../functions/practice/reconciliation-store.js";
import { scratchKeyOwner } from "../../../functions/practice/stored-customer-key.js";
import type { ExecutionState } from "../../../functions/reconciliation/reconciliation-classify.js";
import { executeRepair } from "../../../functions/reconciliation/reconciliation-repair-steps.js";
import type { PortalSimulator } from "../../../local/portal-simulator.js";
import { createTestDocumentTable } from "../../support/document-client.js";
import { startOffboarding } from "../../support/offboard-practice.js";
import { clientFor, useSimulators } from "../../support/portal-harness.js";
import { testKeyCipher } from "../../support/test-key-cipher.js";
import { testFingerprinter, testMask } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

const startSimulator = useSimulators();
const RUN = { runId: "run-1", repair: true, graceMinutes: 0, notYetAssignedDays: 7 };
const now = () => new Date();

let sim: PortalSimulator;
let store: PracticeStore;
let runs: ReconciliationStore;
let execution: ExecutionState;

beforeEach(async () => {
  const table = await createTestDocumentTable();
  store = testPracticeStore(table);
  runs = new ReconciliationStore({
    client: table.client,
    tableName: table.tableName,
    fingerprint: testFingerprinter,
    keyCipher: testKeyCipher,
  });
  sim = await startSimulator();
  execution = "NOT_FOUND";
});

function deps() {
  return { store, runs, portal: clientFor(sim), executions: { status: async () => execution } };
}

function portalKey(customerKey: string): PortalKey {
  return {
    customerKey,
    keyStatus: "Enabled",
    dateCreated: "2025-06-12",
    dateDisabled: null,
    dateTimeAssigned: null,
    devRefId: "",
  };
}

/** A practice ACTIVE with a fresh simulator key, then claimed for offboarding by `offboarding`. */
async function offboardingPractice(practiceId: string, offboarding: string) {
  const [raw] = sim.addKeys([{ DevRefId: practiceId }]);
  await store.claimForOnboarding({
    practiceId,
    devRefId: practiceId,
    executionName: "on-1",
    requestedBy: "t",
  });
  await store.recordCreateAttempt({ practiceId, executionName: "on-1" });
  const recorded = await store.recordKeyCreated({
    practiceId,
    executionName: "on-1",
    key: portalKey(raw!.CustomerKey),
  });
  await store.markActive({ practiceId, executionName: "on-1", expectedVersion: recorded.version });
  await startOffboarding(store, { practiceId, executionName: offboarding });
  return raw!;
}

/** The rest of the offboarding a test started with offboardingPractice: key recorded disabled, OFFBOARDED. */
async function finishOffboarding(practiceId: string, executionName: string): Promise<void> {
  await store.recordOffboardingKeyDisabled({
    practiceId,
    executionName,
    keyMissingInPortal: false,
    portalKeyStatus: "DisabledByDeveloper",
  });
  await store.completeOffboarding({ practiceId, executionName });
}

describe("executeRepair", () => {
  it("finishes a stuck offboarding: disables the key and records OFFBOARDED as the reconciler", async () => {
    const raw = await offboardingPractice("leaving", "off-gone");
    const result = await executeRepair(
      deps(),
      RUN,
      {
        type: "FINISH_STUCK",
        practiceId: "leaving",
        status: "OFFBOARDING",
        lastExecution: "off-gone",
        seenKey: { keyStatus: "Enabled", devRefId: "leaving" },
      },
      now,
    );
    expect(result).toEqual({
      outcome: "done",
      note: `stuck offboarding finished, key ${testMask(raw.CustomerKey)} disabled`,
    });
    expect(sim.calls().map((c) => `${c.method} ${c.status}`)).toEqual(["PUT 200"]);
    expect(sim.keys()[0]).toMatchObject({ KeyStatus: "DisabledByDeveloper" });
    expect((await store.getPractice("leaving"))?.status).toBe("OFFBOARDED");
    const last = (await store.listAudit("leaving")).at(-1);
    expect(last).toMatchObject({
      action: "OFFBOARDING_COMPLETED",
      actor: "reconciler",
      executionName: "off-gone",
    });
  });

  it("leaves a stuck practice alone when its execution turns out to be running", async () => {
    await offboardingPractice("busy", "off-running");
    execution = "RUNNING";
    const result = await executeRepair(
      deps(),
      RUN,
      { type: "FINISH_STUCK", practiceId: "busy", status: "OFFBOARDING", lastExecution: "off-running" },
      now,
    );
    expect(result).toEqual({ outcome: "skipped", note: "execution off-running is RUNNING" });
    expect(sim.calls()).toEqual([]);
    expect((await store.getPractice("busy"))?.status).toBe("OFFBOARDING");
  });

  it("skips disabling a SHOULD_BE_DISABLED key once the practice no longer holds it", async () => {
    const raw = await offboardingPractice("back", "off-1");
    await finishOffboarding("back", "off-1");
    await store.claimForOnboarding({
      practiceId: "back",
      devRefId: "back",
      executionName: "on-2",
      requestedBy: "t",
    });
    const result = await executeRepair(
      deps(),
      RUN,
      {
        type: "DISABLE_KEY",
        category: "SHOULD_BE_DISABLED",
        // As the run stores it: the run's ciphertext (stored-customer-key.ts).
        customerKey: await testKeyCipher.encrypt(raw.CustomerKey, scratchKeyOwner(RUN.runId)),
        keyFingerprint: await store.fingerprint(raw.CustomerKey),
        practiceId: "back",
      },
      now,
    );
    expect(result).toEqual({
      outcome: "skipped",
      note: `practice back is ONBOARDING or no longer holds key ${testMask(raw.CustomerKey)}`,
    });
    expect(sim.calls()).toEqual([]);
  });

  it("records a portal refusal as a failed repair instead of throwing", async () => {
    const raw = await offboardingPractice("refused", "off-2");
    await finishOffboarding("refused", "off-2");
    sim.queueFaults({
      kind: "status",
      method: "PUT",
      status: 400,
      body: JSON.stringify("Not allowed today."),
    });
    const result = await executeRepair(
      deps(),
      RUN,
      {
        type: "DISABLE_KEY",
        category: "SHOULD_BE_DISABLED",
        // As the run stores it: the run's ciphertext (stored-customer-key.ts).
        customerKey: await testKeyCipher.encrypt(raw.CustomerKey, scratchKeyOwner(RUN.runId)),
        keyFingerprint: await store.fingerprint(raw.CustomerKey),
        practiceId: "refused",
      },
      now,
    );
    expect(result.outcome).toBe("failed");
    expect(result.note).toContain("PortalRejected");
    expect(result.note).toContain("Not allowed today.");
    expect(result.note).not.toContain(raw.CustomerKey);
    expect((await store.listAudit("refused")).filter((e) => e.actor === "reconciler")).toEqual([]);
  });
});
