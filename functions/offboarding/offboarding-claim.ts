// Offboarding step 1: validate the execution input and claim the practice (no portal call).
import * as z from "zod/mini";
import { logger, metrics } from "../platform/observability.js";
import { recordStaleRequest } from "../platform/stale-request-metric.js";
import { stepHandler } from "../platform/step-handler.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import { claimPracticeForOffboarding } from "./offboarding-steps.js";

// The raw execution input is validated by claimPracticeForOffboarding (InvalidInput names the field).
const payload = z.object({ input: z.unknown(), executionName: z.string().check(z.minLength(1)) });

export const handler = stepHandler(payload, async (event) => {
  const claim = await claimPracticeForOffboarding({ store: practiceStore(), logger }, event);
  // A request issued at or before the practice's last transition: counted, so a CRM replaying old events shows.
  if (claim.outcome === "stale") recordStaleRequest(metrics, "Offboarding");
  return claim;
});
