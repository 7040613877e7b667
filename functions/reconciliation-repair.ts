// Reconciliation loop (repair runs only): make a few planned repairs from the cursor (rate-limited portal), and —
// when an event sink is configured — announce the outcome of each stuck practice it finishes.
import { configuredDomainEventPublisher } from "./shared/domain-events.js";
import { executionLookupFromEnv } from "./shared/reconciliation-execution-runtime.js";
import { stepStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationPortal } from "./shared/reconciliation-portal-runtime.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { repairFindings } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(stepStateSchema, (state) => {
  const publishEvent = configuredDomainEventPublisher();
  return repairFindings(
    {
      ...reconciliationDeps(),
      portal: reconciliationPortal(),
      executions: executionLookupFromEnv(),
      ...(publishEvent ? { publishEvent } : {}),
    },
    state,
  );
});
