// The part of Powertools Metrics that code emitting one-off metrics uses, so tests pass a recorder instead.
import type { Metrics } from "@aws-lambda-powertools/metrics";

export type MetricsEmitter = Pick<Metrics, "singleMetric">;
