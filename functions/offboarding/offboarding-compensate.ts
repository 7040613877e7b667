// Offboarding compensation (the saga's Catch): put the practice back to its status before the claim.
import * as z from "zod/mini";
import { logger } from "../platform/observability.js";
import { stepHandler } from "../platform/step-handler.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import { offboardingStepPayload } from "./offboarding-step-payload.js";
import { compensateOffboarding } from "./offboarding-steps.js";

const payload = z.object({
  ...offboardingStepPayload,
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

export const handler = stepHandler(payload, (input) =>
  compensateOffboarding({ store: practiceStore(), logger }, input),
);
