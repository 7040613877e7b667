// Onboarding compensation (the saga's Catch): disable the key this execution holds, mark the practice FAILED.
import * as z from "zod/mini";
import { stepHandler, stepPayloadShape } from "../platform/step-handler.js";
import { onboardingDeps } from "./onboarding-runtime.js";
import { compensateOnboarding } from "./onboarding-steps.js";

const payload = z.object({
  ...stepPayloadShape,
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

export const handler = stepHandler(payload, (input) => compensateOnboarding(onboardingDeps(), input));
