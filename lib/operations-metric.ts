// One custom metric of the handlers' namespace (contracts/metric-names.ts), as the alarms and the dashboard chart it.
import type { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_NAME } from "../contracts/metric-names.js";

export function customMetric(
  metricName: string,
  period: Duration,
  options: { dimensions?: Record<string, string>; statistic?: string; label?: string } = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAME, ...options.dimensions },
    statistic: options.statistic ?? cloudwatch.Stats.SUM,
    period,
    label: options.label,
  });
}
