// The lost-POST "ours" rule counts POSTs per attempt: a key can only be the answer of a POST it is dated near.
// Two unlabeled keys dated near one attempt with one lost POST cannot both be ours, however many lost POSTs
// another attempt, on another day, has left unaccounted (§4 invariant 9: keys we did not create are never
// changed, repair included).
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../contracts/table-schema.js";
import { readReconciliationRun } from "../../functions/reconciliation/reconciliation-report.js";
import { changesSince } from "../support/reconciliation-drift.js";
import { type ReconciliationHarness, startReconciliationHarness } from "../support/reconciliation-harness.js";
import { testMask } from "../support/test-key-custody.js";

const DAY = 24 * 3_600_000;
let portalNow = new Date();
let h: ReconciliationHarness;

beforeAll(async () => {
  h = await startReconciliationHarness({ simulator: { now: () => portalNow } });
});
afterAll(() => h?.close());

/** Moves an attempt's POSTs `days` back in time, and adds `extraLostPosts` POSTs that created nothing. */
async function rewriteAttempt(practiceId: string, executionName: string, days: number, extraLostPosts = 0) {
  const at = new Date(Date.now() - days * DAY).toISOString();
  await h.client.send(
    new UpdateCommand({
      TableName: h.tableName,
      Key: keys.createAttempt(practiceId, executionName),
      UpdateExpression: "SET firstAttemptAt = :at, lastAttemptAt = :at ADD attempts :extra",
      ExpressionAttributeValues: { ":at": at, ":extra": extraLostPosts },
      ConditionExpression: "attribute_exists(attempts)",
    }),
  );
}

describe("Reconciliation's lost-POST candidates, attempt by attempt", () => {
  it("touches no key when two unlabeled keys are dated near an attempt that lost one POST", async () => {
    const before = new Set(h.simulator.keys().map((k) => k.CustomerKey));
    // Two days ago: practice X's POST answer is lost (its key is dated that day) and someone makes a key by hand
    // in the portal the same day, unlabeled and never installed.
    portalNow = new Date(Date.now() - 2 * DAY);
    h.simulator.queueFaults({ kind: "commitThenDrop", method: "POST" });
    const x = await h.onboard({ practiceId: "match-x", devRefId: "Two Days Ago Dental" }, "onboard-match-x");
    expect(x.status).toBe("SUCCEEDED");
    await rewriteAttempt("match-x", "onboard-match-x", 2);
    const [byHand] = h.simulator.addKeys([{}]);
    // Today: practice Y loses two POST answers; one created a key, the other (timed out) created nothing.
    portalNow = new Date();
    h.simulator.queueFaults({ kind: "commitThenDrop", method: "POST" });
    const y = await h.onboard({ practiceId: "match-y", devRefId: "Today Dental" }, "onboard-match-y");
    expect(y.status).toBe("SUCCEEDED");
    await rewriteAttempt("match-y", "onboard-match-y", 0, 1);

    const held = new Set(
      [await h.store.getPractice("match-x"), await h.store.getPractice("match-y")].map(
        (p) => p!.keyFingerprint,
      ),
    );
    const unlabeled = [];
    for (const key of h.simulator.keys()) {
      if (before.has(key.CustomerKey)) continue;
      if (!held.has(await h.store.fingerprint(key.CustomerKey))) unlabeled.push(testMask(key.CustomerKey));
    }
    // X's lost key and the one made by hand (two days ago), Y's lost key (today).
    expect(unlabeled).toHaveLength(3);
    expect(unlabeled).toContain(testMask(byHand!.CustomerKey));

    const calls = h.simulator.calls().length;
    const run = await h.reconcile({ repair: true, graceMinutes: 0 });
    expect(run.status).toBe("SUCCEEDED");
    // Which of the two keys dated two days ago is X's cannot be told: neither is changed.
    const changed = changesSince(h, calls);
    expect(changed).toEqual([]);
    const { findings } = await readReconciliationRun(h.runs, run.name);
    expect(findings.filter((f) => f.category === "UNMAPPED_KEY_OURS")).toEqual([]);
    const possiblyOurs = findings.filter((f) => f.details.possiblyOurs === true).map((f) => f.maskedKey);
    expect(possiblyOurs.sort()).toEqual([...unlabeled].sort());
  });
});
