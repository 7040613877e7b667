// Reconciliation loop: check a few hundred practice records from the cursor (KEY_MISSING, STUCK).
import { executionLookupFromEnv } from "./shared/reconciliation-execution-runtime.js";
import { stepStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { checkPractices } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  checkPractices({ ...reconciliationDeps(), executions: executionLookupFromEnv() }, state),
);
