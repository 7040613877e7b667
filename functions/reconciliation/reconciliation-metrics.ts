// The metrics one reconciliation run emits: findings by category (dashboard) and the count that needs a
// person (alarm). Names in contracts/metric-names.ts.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  DIMENSION,
  METRIC,
  RECONCILIATION_FINDING_CATEGORIES,
  type ReconciliationFindingCategory,
} from "../../contracts/metric-names.js";
import type { MetricsEmitter } from "../platform/metrics-emitter.js";

export interface ReconciliationRunCounts {
  /** Findings per category; a category left out counts 0. */
  readonly findingsByCategory: Partial<Record<ReconciliationFindingCategory, number>>;
  /** How many of those findings a person must act on (the run decides which; repaired ones do not count). */
  readonly needingAttention: number;
}

/**
 * Emits `ReconciliationFindings` under [service, Category] for every category, zeros included, so the dashboard
 * shows a quiet run as 0 rather than a gap, `ReconciliationFindingsNeedingAttention` under [service], and
 * `KeysEnabledNotInstalled` under [service]: the run's NOT_YET_ASSIGNED count (enabled keys of ACTIVE practices
 * not installed after the run's notYetAssignedDays: billed for nothing), for its own alarm.
 */
export function recordReconciliationFindings(metrics: MetricsEmitter, counts: ReconciliationRunCounts): void {
  for (const category of RECONCILIATION_FINDING_CATEGORIES) {
    metrics
      .singleMetric()
      .addDimensions({ [DIMENSION.findingCategory]: category })
      .addMetric(METRIC.reconciliationFindings, MetricUnit.Count, counts.findingsByCategory[category] ?? 0);
  }
  metrics
    .singleMetric()
    .addMetric(METRIC.reconciliationFindingsNeedingAttention, MetricUnit.Count, counts.needingAttention);
  metrics
    .singleMetric()
    .addMetric(
      METRIC.keysEnabledNotInstalled,
      MetricUnit.Count,
      counts.findingsByCategory.NOT_YET_ASSIGNED ?? 0,
    );
}

/** `KeyTimeToInstall` under [service]: seconds from onboarded (ACTIVE) to the key seen installed. */
export function recordTimeToInstall(metrics: MetricsEmitter, seconds: number): void {
  metrics.singleMetric().addMetric(METRIC.keyTimeToInstall, MetricUnit.Seconds, Math.max(0, seconds));
}
