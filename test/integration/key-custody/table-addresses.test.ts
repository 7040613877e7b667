// Issue 15: no table item's partition or sort key (nor any index key) holds a CustomerKey — key attribute values
// are recorded in CloudTrail data events (docs/architecture.md §4). Runs real onboardings and a reconciliation
// (with a foreign portal key, which the run's seen-set would address) through the synthesized state machines.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PK, SK, STATUS_INDEX_PK, STATUS_INDEX_SK } from "../../../contracts/table-schema.js";
import {
  type ReconciliationHarness,
  startReconciliationHarness,
} from "../../support/reconciliation-harness.js";

let harness: ReconciliationHarness;

beforeAll(async () => {
  harness = await startReconciliationHarness();
}, 120_000);
afterAll(() => harness?.close());

/** Every item of the table, every page. */
async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await harness.client.send(
      new ScanCommand({ TableName: harness.tableName, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

describe("table addresses", () => {
  it("hold no CustomerKey after onboardings and a reconciliation run", async () => {
    for (const id of ["addr-1", "addr-2"]) {
      const result = await harness.onboard({ practiceId: id, devRefId: `Dental ${id}`, requestedBy: "test" });
      expect(result.status).toBe("SUCCEEDED");
    }
    harness.simulator.addKeys([{ DevRefId: "someone else's" }]);
    const run = await harness.reconcile({ repair: false });
    expect(run.status).toBe("SUCCEEDED");

    const portalKeys = harness.simulator.keys().map((key) => key.CustomerKey);
    expect(portalKeys.length).toBe(3);
    const items = await scanAll();
    const addresses = items.flatMap((item) =>
      [PK, SK, STATUS_INDEX_PK, STATUS_INDEX_SK].flatMap((name) =>
        typeof item[name] === "string" ? [String(item[name])] : [],
      ),
    );
    expect(addresses.some((a) => a.startsWith("KEY#"))).toBe(true);
    expect(addresses.some((a) => a.startsWith("SEEN#"))).toBe(true);
    for (const key of portalKeys) expect(addresses.filter((a) => a.includes(key))).toEqual([]);
    expect(harness.denials).toEqual([]);
  }, 120_000);
});
