// The onboarding Lambdas' dependencies that call the portal: the practice store, the rate-limited portal client
// and the logger, each built once per container on first use.
import { logger } from "../platform/observability.js";
import { portalClient, portalSecretName } from "../portal/portal-runtime.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import type { OnboardingDeps } from "./onboarding-steps.js";

export function onboardingDeps(): OnboardingDeps {
  return { store: practiceStore(), portal: portalClient(), portalSecretName: portalSecretName(), logger };
}
