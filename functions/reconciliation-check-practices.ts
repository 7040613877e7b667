// Reconciliation loop: check a few hundred practice records from the cursor (KEY_MISSING, STUCK).
import { stepStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { checkPractices } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  checkPractices(reconciliationDeps({ portal: false }), state),
);
