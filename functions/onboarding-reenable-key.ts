// Onboarding step for a returning practice: re-enable the key it had when offboarded, if the portal allows.
import * as z from "zod/mini";
import { onboardingDeps } from "./shared/onboarding-runtime.js";
import { reenablePreviousKey } from "./shared/onboarding-steps.js";
import { stepHandler, stepPayloadShape } from "./shared/step-handler.js";

export const handler = stepHandler(z.object(stepPayloadShape), (input) =>
  reenablePreviousKey(onboardingDeps(), input),
);
