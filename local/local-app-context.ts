// `npm start`'s CDK context from the environment: the CRM offboarding grace period and approval switch, so a
// local run can watch a "churned" request run in seconds instead of a week.
import type { App } from "aws-cdk-lib";
import { buildApp, CONTEXT_KEYS } from "../lib/build-app.js";

/** Environment variable → context key. Values are checked by buildApp (a bad one fails start with its name). */
export const LOCAL_CONTEXT_VARIABLES = {
  OFFBOARDING_GRACE_SECONDS: CONTEXT_KEYS.offboardingGraceSeconds,
  OFFBOARDING_REQUIRES_APPROVAL: CONTEXT_KEYS.offboardingRequiresApproval,
} as const;

export function localAppBuilder(env: NodeJS.ProcessEnv): (app: App) => unknown {
  return (app) => {
    for (const [variable, key] of Object.entries(LOCAL_CONTEXT_VARIABLES)) {
      const value = env[variable];
      if (value !== undefined && value !== "") app.node.setContext(key, value);
    }
    return buildApp(app);
  };
}
