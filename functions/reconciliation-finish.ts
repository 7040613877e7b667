// Reconciliation's last step (both paths): store the counts on the run, publish the metrics and — on success,
// when an event sink is configured (EVENT_BUS_NAME or LOCAL_EVENTS_FILE) — the ReconciliationCompleted event.
import { configuredDomainEventPublisher } from "./shared/domain-events.js";
import { finishStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { finishReconciliation } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(finishStateSchema, (state) => {
  const publishEvent = configuredDomainEventPublisher();
  return finishReconciliation({ ...reconciliationDeps(), ...(publishEvent ? { publishEvent } : {}) }, state);
});
