// Reconciliation step 1: validate the input, record the run as RUNNING, return the initial cursor state.
import * as z from "zod/mini";
import { stepHandler } from "../platform/step-handler.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";
import { startReconciliation } from "./reconciliation-start-step.js";

// The raw execution input is validated by startReconciliation (InvalidInput names the field).
const payload = z.object({ input: z.unknown(), executionName: z.string().check(z.minLength(1)) });

export const handler = stepHandler(payload, (event) => startReconciliation(reconciliationDeps(), event));
