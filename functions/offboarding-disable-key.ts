// Offboarding step: PUT /apikeys KeyStatus DisabledByDeveloper on the key the table holds, then record it.
import * as z from "zod/mini";
import { offboardingStepPayload } from "./shared/offboarding-step-payload.js";
import { disablePracticeKey } from "./shared/offboarding-steps.js";
import { onboardingDeps } from "./shared/onboarding-runtime.js";
import { stepHandler } from "./shared/step-handler.js";

export const handler = stepHandler(z.object(offboardingStepPayload), (input) =>
  disablePracticeKey(onboardingDeps(), input),
);
