// Reconciliation's last step (both paths): store the counts on the run — on success with its
// ReconciliationCompleted event, in the same transaction (the table's outbox) — and publish the metrics.
import { metrics } from "../platform/observability.js";
import { stepHandler } from "../platform/step-handler.js";
import { finishReconciliation } from "./reconciliation-finish-step.js";
import { recordReconciliationFindings } from "./reconciliation-metrics.js";
import { finishStateSchema } from "./reconciliation-payload.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(finishStateSchema, (state) =>
  finishReconciliation(
    {
      ...reconciliationDeps(),
      publishMetrics: (findingsByCategory, needingAttention) =>
        recordReconciliationFindings(metrics, { findingsByCategory, needingAttention }),
    },
    state,
  ),
);
