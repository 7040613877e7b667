// Reconciliation's last step (both paths): store the counts on the run, publish the metrics, return the outcome.
import { finishStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { finishReconciliation } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(finishStateSchema, (state) =>
  finishReconciliation(reconciliationDeps(), state),
);
