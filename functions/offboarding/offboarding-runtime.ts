// The offboarding Lambda that calls the portal: the practice store, the rate-limited portal client and the
// logger, each built once per container on first use.
import { logger } from "../platform/observability.js";
import { portalClient, portalSecretName } from "../portal/portal-runtime.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import type { OffboardingDeps } from "./offboarding-steps.js";

export function offboardingDeps(): OffboardingDeps {
  return { store: practiceStore(), portal: portalClient(), portalSecretName: portalSecretName(), logger };
}
