// Onboarding step: mark the practice ACTIVE with its key (one conditional transaction; no portal call).
import * as z from "zod/mini";
import { stepHandler, stepPayloadShape } from "../platform/step-handler.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import { recordPracticeActive } from "./onboarding-steps.js";

export const handler = stepHandler(z.object(stepPayloadShape), (input) =>
  recordPracticeActive({ store: practiceStore() }, input),
);
