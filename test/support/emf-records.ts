// Reads the CloudWatch Embedded Metric Format records a Powertools Metrics instance wrote, as the metric
// streams CloudWatch would create from them: one entry per metric per dimension set.

export interface EmittedMetric {
  namespace: string;
  name: string;
  unit: string;
  value: unknown;
  /** Dimension name → value, for one dimension set. */
  dimensions: Record<string, string>;
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}

/** Every metric stream in the EMF records among `records` (other log records are skipped). */
export function emittedMetrics(records: Record<string, unknown>[]): EmittedMetric[] {
  return records
    .filter((record) => record._aws !== undefined)
    .flatMap((record) =>
      (record._aws as { CloudWatchMetrics: EmfDirective[] }).CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.flatMap((metric) =>
          directive.Dimensions.map((set) => ({
            namespace: directive.Namespace,
            name: metric.Name,
            unit: metric.Unit,
            value: record[metric.Name],
            dimensions: Object.fromEntries(set.map((name) => [name, String(record[name])])),
          })),
        ),
      ),
    );
}
