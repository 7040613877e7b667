// Reconciliation loop: check a few hundred practice records from the cursor (KEY_MISSING, STUCK).

import { stepHandler } from "../platform/step-handler.js";
import { checkPractices } from "./reconciliation-check-practices-step.js";
import { executionLookupFromEnv } from "./reconciliation-execution-runtime.js";
import { stepStateSchema } from "./reconciliation-payload.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  checkPractices({ ...reconciliationDeps(), executions: executionLookupFromEnv() }, state),
);
