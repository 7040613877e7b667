// Offboarding step 1: validate the execution input and claim the practice (no portal call).
import * as z from "zod/mini";
import { logger } from "../platform/observability.js";
import { stepHandler } from "../platform/step-handler.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import { claimPracticeForOffboarding } from "./offboarding-steps.js";

// The raw execution input is validated by claimPracticeForOffboarding (InvalidInput names the field).
const payload = z.object({ input: z.unknown(), executionName: z.string().check(z.minLength(1)) });

export const handler = stepHandler(payload, (event) =>
  claimPracticeForOffboarding({ store: practiceStore(), logger }, event),
);
