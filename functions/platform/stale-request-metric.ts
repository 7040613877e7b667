// The metric of the ordering rule (docs/architecture.md §4, invariant 10): one count per lifecycle request that
// changed nothing because it was issued at or before the practice's last transition.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DIMENSION, METRIC } from "../../contracts/metric-names.js";
import type { MetricsEmitter } from "./metrics-emitter.js";

/** `StaleRequests` (count) under [service, Workflow], flushed at once so the caller's metrics are left alone. */
export function recordStaleRequest(metrics: MetricsEmitter, workflow: "Onboarding" | "Offboarding"): void {
  const metric = metrics.singleMetric();
  metric.addDimensions({ [DIMENSION.workflow]: workflow });
  metric.addMetric(METRIC.staleRequests, MetricUnit.Count, 1);
}
