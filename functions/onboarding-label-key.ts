// Onboarding step: PUT /apikeys with the practice's DevRefId on the key the table holds.
import * as z from "zod/mini";
import { onboardingDeps } from "./shared/onboarding-runtime.js";
import { labelPracticeKey } from "./shared/onboarding-steps.js";
import { devRefIdSchema } from "./shared/practice-input.js";
import { stepHandler, stepPayloadShape } from "./shared/step-handler.js";

export const handler = stepHandler(z.object({ ...stepPayloadShape, devRefId: devRefIdSchema }), (input) =>
  labelPracticeKey(onboardingDeps(), input),
);
