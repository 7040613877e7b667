// Reconciliation's last step (both paths): store the counts on the run, publish the metrics and — on success,
// when an event sink is configured (EVENT_BUS_NAME or LOCAL_EVENTS_FILE) — the ReconciliationCompleted event.
import { configuredDomainEventPublisher } from "../domain-events/domain-events.js";
import { stepHandler } from "../platform/step-handler.js";
import { finishReconciliation } from "./reconciliation-finish-step.js";
import { finishStateSchema } from "./reconciliation-payload.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(finishStateSchema, (state) => {
  const publishEvent = configuredDomainEventPublisher();
  return finishReconciliation({ ...reconciliationDeps(), ...(publishEvent ? { publishEvent } : {}) }, state);
});
