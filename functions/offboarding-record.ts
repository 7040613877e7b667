// Offboarding step: mark the practice OFFBOARDED with the time and reason (one conditional transaction).
import * as z from "zod/mini";
import { offboardingStepPayload } from "./shared/offboarding-step-payload.js";
import { recordPracticeOffboarded } from "./shared/offboarding-steps.js";
import { onboardingStore } from "./shared/onboarding-store-runtime.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(z.object(offboardingStepPayload), (input) =>
  recordPracticeOffboarded({ store: onboardingStore() }, input),
);
