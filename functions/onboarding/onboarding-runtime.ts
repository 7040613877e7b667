// The onboarding Lambdas' dependencies that call the portal: the practice store, the rate-limited portal client
// and the logger, each built once per container on first use. The store fingerprints the key the portal creates
// (these functions read the portal's secret already; only create-key is granted the fingerprint secret).
import { keyFingerprinterFromEnv } from "../key-custody/key-fingerprint-secret.js";
import { logger } from "../platform/observability.js";
import { portalClient, portalSecretName } from "../portal/portal-runtime.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import type { OnboardingDeps } from "./onboarding-steps.js";

export function onboardingDeps(): OnboardingDeps {
  return {
    store: practiceStore({ fingerprint: keyFingerprinterFromEnv() }),
    portal: portalClient(),
    portalSecretName: portalSecretName(),
    logger,
  };
}
