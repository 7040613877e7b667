// Reconciliation's last step (both paths): store the counts on the run, publish the metrics and — on success,
// when an event sink is configured (EVENT_BUS_NAME or LOCAL_EVENTS_FILE) — the ReconciliationCompleted event.
import { EVENT_BUS_NAME_ENV, LOCAL_EVENTS_FILE_ENV } from "../lib/domain-event-names.js";
import { publishDomainEvent } from "./shared/domain-events.js";
import { finishStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { finishReconciliation } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

const eventSinkConfigured = () =>
  Boolean(process.env[EVENT_BUS_NAME_ENV] || process.env[LOCAL_EVENTS_FILE_ENV]);

export const handler = stepHandler(finishStateSchema, (state) =>
  finishReconciliation(
    { ...reconciliationDeps(), ...(eventSinkConfigured() ? { publishEvent: publishDomainEvent } : {}) },
    state,
  ),
);
