import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../../contracts/metric-names.js";
import { isCredentialsRejection, recordPortalCall } from "../../../functions/portal/portal-call-metrics.js";
import type { PortalCallRecord } from "../../../functions/portal/portal-client.js";
import { captureProcessOutput } from "../../support/captured-output.js";
import { emittedMetrics } from "../../support/emf-records.js";

const output = captureProcessOutput();

function freshMetrics(): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
}

function call(overrides: Partial<PortalCallRecord>): PortalCallRecord {
  return {
    method: "GET",
    path: "/apikeys?Offset=0&Limit=100",
    durationMs: 120,
    outcome: "ok",
    attempt: 1,
    ...overrides,
  };
}

const service = { service: SERVICE_NAME };

describe("recordPortalCall", () => {
  it("counts a successful call by outcome and by status and records its latency", () => {
    recordPortalCall(freshMetrics(), call({ status: 200, durationMs: 87 }));

    expect(emittedMetrics(output.records())).toEqual([
      {
        namespace: "PracticeOnboarding",
        name: "PortalCalls",
        unit: "Count",
        value: 1,
        dimensions: { ...service, Outcome: "ok" },
      },
      {
        namespace: "PracticeOnboarding",
        name: "PortalCalls",
        unit: "Count",
        value: 1,
        dimensions: { ...service, Status: "200" },
      },
      {
        namespace: "PracticeOnboarding",
        name: "PortalCallLatency",
        unit: "Milliseconds",
        value: 87,
        dimensions: service,
      },
    ]);
  });

  it("counts a throttled call under its error name and 429", () => {
    recordPortalCall(freshMetrics(), call({ status: 429, outcome: "PortalThrottled" }));

    const counts = emittedMetrics(output.records()).filter((metric) => metric.name === "PortalCalls");
    expect(counts.map((metric) => metric.dimensions)).toEqual([
      { ...service, Outcome: "PortalThrottled" },
      { ...service, Status: "429" },
    ]);
  });

  it("reports Status none when no answer arrived", () => {
    recordPortalCall(
      freshMetrics(),
      call({ method: "POST", path: "/apikeys", outcome: "PortalUnavailable" }),
    );

    const statuses = emittedMetrics(output.records()).filter((metric) => "Status" in metric.dimensions);
    expect(statuses.map((metric) => metric.dimensions.Status)).toEqual(["none"]);
  });

  it("does not count credentials as rejected for a first 401 that the refreshed credentials may fix", () => {
    recordPortalCall(freshMetrics(), call({ status: 401, outcome: "PortalUnauthorized", attempt: 1 }));

    expect(emittedMetrics(output.records()).map((metric) => metric.name)).toEqual([
      "PortalCalls",
      "PortalCalls",
      "PortalCallLatency",
    ]);
  });

  it("counts credentials as rejected for a 401 on the retry with refreshed credentials", () => {
    recordPortalCall(freshMetrics(), call({ status: 401, outcome: "PortalUnauthorized", attempt: 2 }));

    expect(
      emittedMetrics(output.records()).filter((metric) => metric.name === "PortalCredentialsRejected"),
    ).toEqual([
      {
        namespace: "PracticeOnboarding",
        name: "PortalCredentialsRejected",
        unit: "Count",
        value: 1,
        dimensions: service,
      },
    ]);
  });

  it("leaves the caller's stored metrics and dimensions alone", () => {
    const metrics = freshMetrics();
    metrics.addDimension("practiceStep", "create");
    metrics.addMetric("StepStarted", MetricUnit.Count, 1);

    recordPortalCall(metrics, call({ status: 200 }));

    expect(emittedMetrics(output.records()).every((metric) => !("practiceStep" in metric.dimensions))).toBe(
      true,
    );
    expect(metrics.hasStoredMetrics()).toBe(true);
  });
});

describe("isCredentialsRejection", () => {
  it("is true for a 403, which is not retried", () => {
    expect(isCredentialsRejection(call({ status: 403, outcome: "PortalUnauthorized", attempt: 1 }))).toBe(
      true,
    );
  });

  it("is false for any other outcome", () => {
    expect(isCredentialsRejection(call({ status: 429, outcome: "PortalThrottled", attempt: 2 }))).toBe(false);
  });
});
