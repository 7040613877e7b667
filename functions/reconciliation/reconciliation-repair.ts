// Reconciliation loop (repair runs only): make a few planned repairs from the cursor (rate-limited portal). The
// outcome of each stuck practice it finishes is announced through the outbox, in the outcome's own transaction.
import { stepHandler } from "../platform/step-handler.js";
import { portalClient } from "../portal/portal-runtime.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import { executionLookupFromEnv } from "./reconciliation-execution-runtime.js";
import { stepStateSchema } from "./reconciliation-payload.js";
import { repairFindings } from "./reconciliation-repair-step.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  repairFindings(
    {
      ...reconciliationDeps(),
      store: practiceStore(),
      portal: portalClient(),
      executions: executionLookupFromEnv(),
    },
    state,
  ),
);
