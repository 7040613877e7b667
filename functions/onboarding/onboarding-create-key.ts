// Onboarding step: POST /apikeys for a claimed practice; the key is written to the table in the same invocation.
import * as z from "zod/mini";
import { stepHandler, stepPayloadShape } from "../platform/step-handler.js";
import { onboardingDeps } from "./onboarding-runtime.js";
import { createPracticeKey } from "./onboarding-steps.js";

export const handler = stepHandler(z.object(stepPayloadShape), (input) =>
  createPracticeKey(onboardingDeps(), input),
);
