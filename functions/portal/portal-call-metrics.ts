// Turns each portal request the client reports (its `onCall` hook) into the metrics the alarms and the
// dashboard read (names in contracts/metric-names.ts).
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DIMENSION, METRIC, PORTAL_NO_STATUS } from "../../contracts/metric-names.js";
import type { MetricsEmitter } from "../platform/metrics-emitter.js";
import type { PortalCallRecord } from "./portal-client.js";

export type { MetricsEmitter } from "../platform/metrics-emitter.js";

/**
 * True when the portal refused the credentials for good: a 401 on the retry with freshly read credentials, or
 * a 403. A first 401 is followed by that retry, so a rotated secret shows one 401 and then success.
 */
export function isCredentialsRejection(call: PortalCallRecord): boolean {
  return call.outcome === "PortalUnauthorized" && (call.attempt > 1 || call.status !== 401);
}

/**
 * Emits, for one portal request: `PortalCalls` (count) under [service, Outcome] and [service, Status],
 * `PortalCallLatency` (ms) under [service], and `PortalCredentialsRejected` when the credentials were refused
 * for good. Each is flushed at once, so the caller's stored metrics and dimensions are left alone.
 * Use it as the portal client's `onCall` hook: `onCall: (call) => recordPortalCall(metrics, call)`.
 */
export function recordPortalCall(metrics: MetricsEmitter, call: PortalCallRecord): void {
  const count = metrics.singleMetric();
  count.addDimensions({ [DIMENSION.portalOutcome]: call.outcome });
  count.addDimensions({
    [DIMENSION.portalStatus]: call.status === undefined ? PORTAL_NO_STATUS : String(call.status),
  });
  count.addMetric(METRIC.portalCalls, MetricUnit.Count, 1);

  metrics.singleMetric().addMetric(METRIC.portalCallLatency, MetricUnit.Milliseconds, call.durationMs);

  if (isCredentialsRejection(call)) {
    metrics.singleMetric().addMetric(METRIC.portalCredentialsRejected, MetricUnit.Count, 1);
  }
}
