// Checks of what every ops command reads besides its own arguments (global options, PORTAL_MAX_RPS), before any
// stack is contacted: a contradiction or a bad value is a usage error (exit 2), never silently ignored.

import { portalMaxRpsFrom } from "../functions/platform/config.js";
import { ConfigurationError } from "../functions/platform/errors.js";
import { UsageError } from "./errors.js";
import { DEFAULT_LOCAL_ROLE, DEFAULT_STACK_NAME } from "./stack-defaults.js";

export interface TargetOptions {
  readonly local?: boolean;
  readonly localRole: string;
  readonly stack: string;
  readonly region?: string;
}

export function checkGlobalOptions(globals: TargetOptions, env: NodeJS.ProcessEnv = process.env): void {
  // `--local --stack Prod` would act on the local stack while the operator believes they named Prod.
  if (globals.local && (globals.stack !== DEFAULT_STACK_NAME || globals.region !== undefined))
    throw new UsageError(
      "--stack and --region name a deployed stack; --local acts on the local one: give one or the other",
    );
  if (!globals.local && globals.localRole !== DEFAULT_LOCAL_ROLE)
    throw new UsageError(
      "--local-role applies with --local only (on AWS, your credentials decide what you may do)",
    );
  try {
    portalMaxRpsFrom(env);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }
}
