// Onboarding step: mark the practice ACTIVE with its key (one conditional transaction; no portal call).
import * as z from "zod/mini";
import { recordPracticeActive } from "./shared/onboarding-steps.js";
import { onboardingStore } from "./shared/onboarding-store-runtime.js";
import { stepHandler, stepPayloadShape } from "./shared/step-handler.js";

export const handler = stepHandler(z.object(stepPayloadShape), (input) =>
  recordPracticeActive({ store: onboardingStore() }, input),
);
