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

describe("Reconciliation of a portal that ignores Offset", () => {
  it("still lists a portal that pages, across invocations (11 pages; 10 per invocation)", async () => {
    h.simulator.reset();
    h.simulator.generateKeys(1_050);
    const calls = h.simulator.calls().length;
    const run = await h.reconcile({ repair: false });
    expect(run.status).toBe("SUCCEEDED");
    const gets = h.simulator
      .calls()
      .slice(calls)
      .filter((c) => c.method === "GET");
    expect(gets.map((c) => c.path)).toEqual(
      Array.from({ length: 11 }, (_, i) => `/api/v1/apikeys?Offset=${i * 100}&Limit=100`),
    );
  });

  it("fails on the first page that repeats the previous full page, naming the fault", async () => {
    h.simulator.reset();
    const page = formatLikeSeed(h.simulator.generateKeys(100));
    // More identical answers than one invocation lists (pagesPerInvocation 10): a portal that never pages.
    h.simulator.queueFaults({ kind: "status", method: "GET", status: 200, body: page, times: 25 });
    const calls = h.simulator.calls().length;
    const run = await h.reconcile({ repair: false });
    h.simulator.clearQueuedFaults();
    expect(run.status).toBe("FAILED");
    expect(String(run.cause)).toContain(
      "GET /apikeys?Offset=100&Limit=100 repeated the 100 keys of the page before it; the portal may be ignoring Offset",
    );
    const gets = h.simulator
      .calls()
      .slice(calls)
      .filter((c) => c.method === "GET");
    // Each of Step Functions' retries of the listing step asks for the two pages again, and stops there.
    expect(new Set(gets.map((c) => c.path))).toEqual(
      new Set(["/api/v1/apikeys?Offset=0&Limit=100", "/api/v1/apikeys?Offset=100&Limit=100"]),
    );
  });
});
