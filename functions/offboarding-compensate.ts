// Offboarding compensation (the saga's Catch): put the practice back to its status before the claim.
import * as z from "zod/mini";
import { logger } from "./shared/observability.js";
import { offboardingStepPayload } from "./shared/offboarding-step-payload.js";
import { compensateOffboarding } from "./shared/offboarding-steps.js";
import { onboardingStore } from "./shared/onboarding-store-runtime.js";
import { stepHandler } from "./shared/step-handler.js";

const payload = z.object({
  ...offboardingStepPayload,
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

export const handler = stepHandler(payload, (input) =>
  compensateOffboarding({ store: onboardingStore(), logger }, input),
);
