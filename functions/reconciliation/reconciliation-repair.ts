// Reconciliation loop (repair runs only): make a few planned repairs from the cursor (rate-limited portal), and —
// when an event sink is configured — announce the outcome of each stuck practice it finishes.
import { configuredDomainEventPublisher } from "../domain-events/domain-events.js";
import { stepHandler } from "../platform/step-handler.js";
import { portalClient } from "../portal/portal-runtime.js";
import { executionLookupFromEnv } from "./reconciliation-execution-runtime.js";
import { stepStateSchema } from "./reconciliation-payload.js";
import { repairFindings } from "./reconciliation-repair-step.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(stepStateSchema, (state) => {
  const publishEvent = configuredDomainEventPublisher();
  return repairFindings(
    {
      ...reconciliationDeps(),
      portal: portalClient(),
      executions: executionLookupFromEnv(),
      ...(publishEvent ? { publishEvent } : {}),
    },
    state,
  );
});
