// Onboarding step: PUT /apikeys with the practice's DevRefId on the key the table holds, then mark the practice
// ACTIVE (one conditional transaction with its PracticeOnboarded event) — one Task, one state transition.
import * as z from "zod/mini";
import { stepHandler, stepPayloadShape } from "../platform/step-handler.js";
import { devRefIdSchema } from "../practice/practice-input.js";
import { onboardingDeps } from "./onboarding-runtime.js";
import { labelKeyAndRecordActive } from "./onboarding-steps.js";

export const handler = stepHandler(z.object({ ...stepPayloadShape, devRefId: devRefIdSchema }), (input) =>
  labelKeyAndRecordActive(onboardingDeps(), input),
);
