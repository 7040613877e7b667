// Onboarding step for a returning practice: re-enable the key it had when offboarded, if the portal allows.
import * as z from "zod/mini";
import { stepHandler, stepPayloadShape } from "../platform/step-handler.js";
import { onboardingDeps } from "./onboarding-runtime.js";
import { reenablePreviousKey } from "./onboarding-steps.js";

export const handler = stepHandler(z.object(stepPayloadShape), (input) =>
  reenablePreviousKey(onboardingDeps(), input),
);
