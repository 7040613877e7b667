import { Metrics } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../../contracts/metric-names.js";
import {
  recordReconciliationFindings,
  recordTimeToInstall,
} from "../../../functions/reconciliation/reconciliation-metrics.js";
import { captureProcessOutput } from "../../support/captured-output.js";
import { emittedMetrics } from "../../support/emf-records.js";

const output = captureProcessOutput();

describe("recordReconciliationFindings", () => {
  it("emits every category, zero when absent, the count needing attention and the keys not installed", () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

    recordReconciliationFindings(metrics, {
      findingsByCategory: { SHOULD_BE_DISABLED: 2, NOT_YET_ASSIGNED: 5 },
      needingAttention: 2,
    });

    expect(
      emittedMetrics(output.records()).map(({ name, value, dimensions }) => ({ name, value, dimensions })),
    ).toEqual([
      ...[
        ["UNMAPPED_KEY_OURS", 0],
        ["UNMAPPED_KEY_FOREIGN", 0],
        ["KEY_MISSING", 0],
        ["SHOULD_BE_DISABLED", 2],
        ["UNEXPECTEDLY_DISABLED", 0],
        ["LABEL_DRIFT", 0],
        ["STUCK", 0],
        ["NOT_YET_ASSIGNED", 5],
      ].map(([category, value]) => ({
        name: "ReconciliationFindings",
        value,
        dimensions: { service: SERVICE_NAME, Category: category },
      })),
      { name: "ReconciliationFindingsNeedingAttention", value: 2, dimensions: { service: SERVICE_NAME } },
      { name: "KeysEnabledNotInstalled", value: 5, dimensions: { service: SERVICE_NAME } },
    ]);
  });

  it("emits the time to install in seconds, never negative", () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

    recordTimeToInstall(metrics, 86_400);
    recordTimeToInstall(metrics, -3);

    expect(
      emittedMetrics(output.records()).map(({ name, value, dimensions }) => ({ name, value, dimensions })),
    ).toEqual([
      { name: "KeyTimeToInstall", value: 86_400, dimensions: { service: SERVICE_NAME } },
      { name: "KeyTimeToInstall", value: 0, dimensions: { service: SERVICE_NAME } },
    ]);
  });
});
