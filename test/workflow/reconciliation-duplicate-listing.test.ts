// A listing page that names one key twice (a hostile-but-real portal answer): reconciliation must finish, and
// report the key once. It failed every run: the page's seen-set went to one BatchWriteItem holding the same item
// key twice, which DynamoDB refuses (ValidationException: "Provided list of item keys contains duplicates").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReconciliationRun } from "../../functions/reconciliation/reconciliation-report.js";
import { formatLikeSeed } from "../../local/portal-simulator-keys.js";
import { SEED_GET_RESPONSE } from "../fixtures/seed-examples.js";
import { activePractice } from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";

let h: ReconciliationHarness;

beforeAll(async () => {
  h = await startReconciliationHarness();
});
afterAll(() => h?.close());

describe("Reconciliation of a listing that repeats a key within one page", () => {
  it("succeeds and reports the repeated key once", async () => {
    h.simulator.addKeys(SEED_GET_RESPONSE);
    const ours = await activePractice(h, "dup-listed", { portal: { DevRefId: "Dental dup-listed" } });
    const [raw] = h.simulator.keys().filter((k) => k.CustomerKey === ours.customerKey);
    const { history: _h, ...key } = raw!;
    const listed = [...SEED_GET_RESPONSE, SEED_GET_RESPONSE[1]!, key, key];
    h.simulator.queueFaults({ kind: "status", method: "GET", status: 200, body: formatLikeSeed(listed) });
    const run = await h.reconcile({ repair: false });
    expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({
      status: "SUCCEEDED",
      error: undefined,
      cause: undefined,
    });
    const { findings } = await readReconciliationRun(h.runs, run.name);
    const shown = findings.map((f) => f.maskedKey);
    expect(shown.filter((m) => m?.startsWith("…7ZUD"))).toHaveLength(1);
    expect(new Set(shown).size).toBe(shown.length);
  });
});
