// Reconciliation loop (repair runs only): make a few planned repairs from the cursor (rate-limited portal). The
// outcome of each stuck practice it finishes is announced through the outbox, in the outcome's own transaction.
import { keyCipherFromEnv } from "../key-custody/key-cipher-runtime.js";
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
      // The run's planned repairs and stuck practices' keys are opened to send them to the portal (§4).
      ...reconciliationDeps({ keyCipher: keyCipherFromEnv() }),
      store: practiceStore({ keyCipher: keyCipherFromEnv() }),
      portal: portalClient(),
      executions: executionLookupFromEnv(),
    },
    state,
  ),
);
