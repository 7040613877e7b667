// Reconciliation loop: decide whether the keys lost POST answers may have created are ours.

import { stepHandler } from "../platform/step-handler.js";
import { classifyCandidates } from "./reconciliation-classify-candidates-step.js";
import { stepStateSchema } from "./reconciliation-payload.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  classifyCandidates(reconciliationDeps(), state),
);
