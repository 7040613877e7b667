// Onboarding step: POST /apikeys for a claimed practice; the key is written to the table in the same invocation.
import * as z from "zod/mini";
import { onboardingDeps } from "./shared/onboarding-runtime.js";
import { createPracticeKey } from "./shared/onboarding-steps.js";
import { stepHandler, stepPayloadShape } from "./shared/step-handler.js";

export const handler = stepHandler(z.object(stepPayloadShape), (input) =>
  createPracticeKey(onboardingDeps(), input),
);
