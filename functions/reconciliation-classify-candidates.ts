// Reconciliation loop: decide whether the keys lost POST answers may have created are ours.
import { stepStateSchema } from "./shared/reconciliation-payload.js";
import { reconciliationDeps } from "./shared/reconciliation-runtime.js";
import { classifyCandidates } from "./shared/reconciliation-steps.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  classifyCandidates(reconciliationDeps(), state),
);
