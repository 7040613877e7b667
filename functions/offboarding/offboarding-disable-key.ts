// Offboarding step: PUT /apikeys KeyStatus DisabledByDeveloper on the key the table holds, then record it.
import * as z from "zod/mini";
import { stepHandler } from "../platform/step-handler.js";
import { offboardingDeps } from "./offboarding-runtime.js";
import { offboardingStepPayload } from "./offboarding-step-payload.js";
import { disablePracticeKey } from "./offboarding-steps.js";

export const handler = stepHandler(z.object(offboardingStepPayload), (input) =>
  disablePracticeKey(offboardingDeps(), input),
);
