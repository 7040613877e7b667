// Reconciliation loop: decide whether the keys lost POST answers may have created are ours (never while the
// attempt's onboarding execution is still running: it describes that execution).

import { stepHandler } from "../platform/step-handler.js";
import { classifyCandidates } from "./reconciliation-classify-candidates-step.js";
import { executionLookupFromEnv } from "./reconciliation-execution-runtime.js";
import { stepStateSchema } from "./reconciliation-payload.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  classifyCandidates({ ...reconciliationDeps(), executions: executionLookupFromEnv() }, state),
);
