// Adds the Step Functions execution lookup (STUCK checks) to the reconciliation dependencies, for the functions
// that describe executions: ONBOARDING_STATE_MACHINE_ARN and, once deployed, OFFBOARDING_STATE_MACHINE_ARN.
import { SFNClient } from "@aws-sdk/client-sfn";
import { stepFunctionsExecutionLookup } from "./execution-lookup.js";
import type { ExecutionLookup } from "./reconciliation-classify.js";

let lookup: ExecutionLookup | undefined;

export function executionLookupFromEnv(
  env: Record<string, string | undefined> = process.env,
): ExecutionLookup {
  lookup ??= stepFunctionsExecutionLookup(new SFNClient({}), {
    ONBOARDING: env.ONBOARDING_STATE_MACHINE_ARN || undefined,
    OFFBOARDING: env.OFFBOARDING_STATE_MACHINE_ARN || undefined,
  });
  return lookup;
}
