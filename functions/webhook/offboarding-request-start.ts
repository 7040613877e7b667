// The offboarding request's last step (lib/offboarding-request-workflow.ts): once the grace period has passed
// uncancelled, start the Offboarding workflow. Named from the request's execution, so a retried step finds the
// execution it started instead of starting a second one.
import { SFNClient } from "@aws-sdk/client-sfn";
import { ConfigurationError } from "../platform/errors.js";
import { logger } from "../platform/observability.js";
import { offboardingExecutionNameFor, parseOffboardingRequestInput } from "./offboarding-request.js";
import { createOnboardingStarter } from "./onboarding-starter.js";

const stateMachineArn = process.env.OFFBOARDING_STATE_MACHINE_ARN?.trim();
if (!stateMachineArn)
  throw new ConfigurationError("Environment variable OFFBOARDING_STATE_MACHINE_ARN is not set");
const start = createOnboardingStarter(new SFNClient({}), stateMachineArn);

export const handler = async (event: {
  input: unknown;
  executionName: string;
}): Promise<{ executionArn: string; alreadyStarted: boolean }> => {
  const request = parseOffboardingRequestInput(event.input);
  const started = await start(offboardingExecutionNameFor(event.executionName), {
    practiceId: request.practiceId,
    reason: request.reason,
    requestedBy: request.requestedBy,
    issuedAt: request.issuedAt,
  });
  logger.info("Offboarding request ran", { practiceId: request.practiceId, ...started });
  return started;
};
