// finishReconciliation against DynamoDB Local: the run's summary gets its outcome — on success only with the
// ReconciliationCompleted event, in the table's outbox — the metrics are published, and an error from the failure path is stored with
// anything key-shaped masked — the summary is what `ops reconcile --show` prints.

import { beforeEach, describe, expect, it } from "vitest";
import { emptyCounts, type FindingCounts } from "../../../contracts/reconciliation-findings.js";
import { ReconciliationStore } from "../../../functions/practice/reconciliation-store.js";
import type { ReconciliationDeps } from "../../../functions/reconciliation/reconciliation-deps.js";
import { finishReconciliation } from "../../../functions/reconciliation/reconciliation-finish-step.js";
import { startReconciliation } from "../../../functions/reconciliation/reconciliation-start-step.js";
import type { StepState } from "../../../functions/reconciliation/reconciliation-state.js";
import { createTestDocumentTable } from "../../support/document-client.js";
import { asEventInput, outboxEvents } from "../../support/outbox-items.js";
import { testKeyCipher } from "../../support/test-key-cipher.js";
import { testFingerprinter } from "../../support/test-key-custody.js";
import { testPracticeStore } from "../../support/test-practice-store.js";

// Real dates: the summary expires (TTL) 90 days after its start, and DynamoDB Local deletes expired items.
const STARTED = new Date(Math.floor(Date.now() / 1000) * 1000);
const FINISHED = new Date(STARTED.getTime() + 7 * 60_000);
/** Shaped like a CustomerKey (16 upper-case letters or digits): must never reach the stored summary. */
const KEY_SHAPED = "QJXZ4K7M2P9R5T8W";

let runs: ReconciliationStore;
let deps: ReconciliationDeps;
let table: Awaited<ReturnType<typeof createTestDocumentTable>>;
let metrics: Array<{ counts: FindingCounts; needingAttention: number }>;

beforeEach(async () => {
  table = await createTestDocumentTable();
  runs = new ReconciliationStore({
    client: table.client,
    tableName: table.tableName,
    fingerprint: testFingerprinter,
    keyCipher: testKeyCipher,
  });
  metrics = [];
  deps = {
    store: testPracticeStore(table),
    runs,
    publishMetrics: (counts, needingAttention) => metrics.push({ counts, needingAttention }),
    now: () => FINISHED,
  };
});

/** A run started for real, then advanced as if the loops had listed keys and found drift. */
async function startedRun(runId: string): Promise<StepState> {
  const started = await startReconciliation(
    { ...deps, now: () => STARTED },
    { input: { repair: false }, executionName: runId },
  );
  return {
    ...started,
    progress: {
      ...started.progress,
      counts: { ...emptyCounts(), KEY_MISSING: 1, LABEL_DRIFT: 2, NOT_YET_ASSIGNED: 3 },
      keys: { nextOffset: 250, listed: 250, pages: 3, done: true },
      practices: { ...started.progress.practices, checked: 40, done: true },
    },
  };
}

describe("finishReconciliation", () => {
  it("stores a succeeded run's counts with its ReconciliationCompleted event, and publishes its metrics", async () => {
    const state = await startedRun("recon-ok");
    const outcome = await finishReconciliation(deps, state);

    // Report-only: KEY_MISSING always needs a person, LABEL_DRIFT would have been repaired; NOT_YET_ASSIGNED never.
    expect(outcome).toEqual({
      runId: "recon-ok",
      status: "SUCCEEDED",
      repair: false,
      counts: state.progress.counts,
      needingAttention: 3,
      repairs: { planned: 0, done: 0, skipped: 0, failed: 0, deferred: 0 },
      keysListed: 250,
      practicesChecked: 40,
    });
    expect(await runs.getRun("recon-ok")).toEqual({
      runId: "recon-ok",
      status: "SUCCEEDED",
      repair: false,
      graceMinutes: 30,
      notYetAssignedDays: 7,
      startedAt: STARTED.toISOString(),
      completedAt: FINISHED.toISOString(),
      counts: state.progress.counts,
      needingAttention: 3,
      keysListed: 250,
      pagesListed: 3,
      practicesChecked: 40,
      repairs: { planned: 0, done: 0, skipped: 0, failed: 0, deferred: 0 },
    });
    expect(metrics).toEqual([{ counts: state.progress.counts, needingAttention: 3 }]);
    expect((await outboxEvents(table)).map(asEventInput)).toEqual([
      {
        type: "ReconciliationCompleted",
        executionName: "recon-ok",
        occurredAt: FINISHED.toISOString(),
        findingsByCategory: state.progress.counts,
        needingAttention: 3,
        repaired: 0,
      },
    ]);
  });

  it("stores a failed run with the Lambda's error message, keys masked, and writes no event", async () => {
    const state = await startedRun("recon-failed");
    const cause = JSON.stringify({
      errorType: "PortalRejected",
      errorMessage: `portal refused key ${KEY_SHAPED}`,
    });
    const outcome = await finishReconciliation(deps, {
      ...state,
      error: { Error: "PortalRejected", Cause: cause },
    });

    expect(outcome.status).toBe("FAILED");
    const summary = await runs.getRun("recon-failed");
    expect(summary?.status).toBe("FAILED");
    // Free text: a key-shaped token shows its last 4 only.
    expect(summary?.error).toBe(`PortalRejected: portal refused key …${KEY_SHAPED.slice(-4)}`);
    expect(JSON.stringify(summary)).not.toContain(KEY_SHAPED);
    expect(metrics).toHaveLength(1);
    expect(await outboxEvents(table)).toEqual([]);
  });

  it("keeps a Cause that is not JSON as the message, and the error name alone when there is no Cause", async () => {
    const timedOut = await startedRun("recon-timeout");
    await finishReconciliation(deps, {
      ...timedOut,
      error: { Error: "States.Timeout", Cause: "Task timed out after 60.00 seconds" },
    });
    expect((await runs.getRun("recon-timeout"))?.error).toBe(
      "States.Timeout: Task timed out after 60.00 seconds",
    );
    const stopped = await startedRun("recon-stopped");
    await finishReconciliation(deps, { ...stopped, error: { Error: "States.Runtime" } });
    expect((await runs.getRun("recon-stopped"))?.error).toBe("States.Runtime");
  });
});
