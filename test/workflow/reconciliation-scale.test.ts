// A reconciliation over 10,000 portal keys on the local engine: it completes, pages in bounded loops, and no
// state payload (any history event's input, output, parameters or result) reaches Step Functions' 256 KiB.
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReconciliationRun } from "../../functions/reconciliation/reconciliation-report.js";
import { activePractice } from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";

const KEYS = 10_000;
const PRACTICES = 100;
const PAYLOAD_LIMIT_BYTES = 256 * 1024;

let h: ReconciliationHarness;
const sizes: Array<{ bytes: number; type: string; execution: string }> = [];

/** Byte size of every payload-bearing string of a history event (input, output, parameters, result…). */
function recordPayloads(event: HistoryEvent, execution: string): void {
  for (const [detailsName, details] of Object.entries(event)) {
    if (!detailsName.endsWith("EventDetails") || typeof details !== "object" || details === null) continue;
    for (const value of Object.values(details as Record<string, unknown>)) {
      if (typeof value === "string") {
        sizes.push({ bytes: Buffer.byteLength(value, "utf8"), type: String(event.type), execution });
      }
    }
  }
}

beforeAll(async () => {
  h = await startReconciliationHarness({
    maxRps: 10_000,
    onEvent: (event, execution) => recordPayloads(event, execution.name),
  });
  for (let i = 0; i < PRACTICES; i++) await activePractice(h, `scale-${i}`);
  h.simulator.addKeys(
    Array.from({ length: KEYS - PRACTICES }, (_, i) => ({
      DateCreated: "2023-04-05",
      DevRefId: i % 2 === 0 ? "" : `Someone Else ${i}`,
      KeyStatus: i % 7 === 0 ? "DisabledByDeveloper" : "Enabled",
    })),
  );
}, 300_000);
afterAll(() => h?.close());

describe("Reconciliation at scale", () => {
  it("lists 10,000 keys in bounded loops with every state payload under 256 KiB", async () => {
    const started = performance.now();
    const run = await h.reconcile({ repair: true });
    const wallMs = Math.round(performance.now() - started);
    expect(run.status).toBe("SUCCEEDED");

    const summary = (await h.runs.getRun(run.name))!;
    const foreignEnabled = h.simulator
      .keys()
      .filter((k) => k.KeyStatus === "Enabled" && !k.DevRefId.startsWith("Dental scale-")).length;
    // A full last page means one more (empty) page is asked for, as the portal pages.
    expect(summary).toMatchObject({ status: "SUCCEEDED", keysListed: KEYS, pagesListed: KEYS / 100 + 1 });
    expect(summary.practicesChecked).toBe(PRACTICES);
    expect(summary.counts?.UNMAPPED_KEY_FOREIGN).toBe(foreignEnabled);
    const report = await readReconciliationRun(h.runs, run.name, { maxFindings: KEYS });
    expect(report.findings).toHaveLength(foreignEnabled);

    const ofRun = sizes.filter((s) => s.execution === run.name);
    const largest = ofRun.reduce((max, s) => (s.bytes > max.bytes ? s : max), ofRun[0]!);
    const taskInvocations = h.engine
      .getExecutionHistory(run.executionArn!)
      .events!.filter((e) => e.type === "TaskScheduled" || e.type === "LambdaFunctionScheduled").length;
    console.log(
      `reconciliation over ${KEYS} keys: ${wallMs} ms wall, ${taskInvocations} task invocations, ` +
        `${ofRun.length} payloads measured, largest ${largest.bytes} bytes (${largest.type})`,
    );
    expect(ofRun.length).toBeGreaterThan(0);
    expect(largest.bytes).toBeLessThan(PAYLOAD_LIMIT_BYTES);
  }, 600_000);
});
