// Reconciliation loop: list a few portal pages from the cursor and classify their keys (rate-limited portal).
import { stepStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationPortal } from "./shared/reconciliation-portal-runtime.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { scanPortalKeys } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  scanPortalKeys({ ...reconciliationDeps(), portal: reconciliationPortal() }, state),
);
