// Offboarding step: mark the practice OFFBOARDED with the time and reason (one conditional transaction).
import * as z from "zod/mini";
import { stepHandler } from "../platform/step-handler.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import { offboardingStepPayload } from "./offboarding-step-payload.js";
import { recordPracticeOffboarded } from "./offboarding-steps.js";

export const handler = stepHandler(z.object(offboardingStepPayload), (input) =>
  recordPracticeOffboarded({ store: practiceStore() }, input),
);
