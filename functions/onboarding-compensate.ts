// Onboarding compensation (the saga's Catch): disable the key this execution holds, mark the practice FAILED.
import * as z from "zod/mini";
import { onboardingDeps } from "./shared/onboarding-runtime.js";
import { compensateOnboarding } from "./shared/onboarding-steps.js";
import { stepHandler, stepPayloadShape } from "./shared/step-handler.js";

const payload = z.object({
  ...stepPayloadShape,
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

export const handler = stepHandler(payload, (input) => compensateOnboarding(onboardingDeps(), input));
