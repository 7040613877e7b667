// Fields every offboarding step after the claim receives: the practice and `$$.Execution.Name`, nothing else
// (the reason and the actor are on the practice record).
import * as z from "zod/mini";

export const offboardingStepPayload = {
  practiceId: z.string().check(z.minLength(1)),
  executionName: z.string().check(z.minLength(1)),
};
