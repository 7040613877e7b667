// Lambda target of the PracticeOnboarded rule (lib/activation-auto-issue.ts): issues the practice an activation
// link (activation-auto-issue-step.ts). Returns and logs the practice and link id only, never the URL. A failure
// throws: EventBridge retries the delivery, then puts it in the rule's dead-letter queue.
import * as z from "zod/mini";
import { InvalidInput } from "../platform/errors.js";
import { logger } from "../platform/observability.js";
import { activationRuntime } from "../practice/activation-runtime.js";
import { practiceIdSchema } from "../practice/practice-input.js";
import { type AutoIssueOutcome, issueOnOnboarded } from "./activation-auto-issue-step.js";

const onboardedEvent = z.object({
  "detail-type": z.literal("PracticeOnboarded"),
  detail: z.object({ practiceId: practiceIdSchema, occurredAt: z.iso.datetime({ offset: false }) }),
});

export async function handler(event: unknown): Promise<AutoIssueOutcome> {
  const parsed = z.safeParse(onboardedEvent, event);
  if (!parsed.success)
    throw new InvalidInput("expected a PracticeOnboarded event with detail.practiceId and detail.occurredAt");
  const outcome = await issueOnOnboarded(
    { ...activationRuntime(), now: () => new Date() },
    parsed.data.detail,
  );
  logger.info("activation link on PracticeOnboarded", { ...outcome });
  return outcome;
}
