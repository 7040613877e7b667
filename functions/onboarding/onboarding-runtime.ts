// The onboarding Lambdas' dependencies that call the portal: the practice store, the rate-limited portal client
// and the logger, each built once per container on first use. The store fingerprints the key the portal creates
// (these functions read the portal's secret already; only create-key is granted the fingerprint secret), and
// encrypts or opens it through the custody key (create-key encrypts; label-and-record, re-enable, compensate open it to send
// it to the portal: docs/architecture.md §4 invariant 13).
import { keyCipherFromEnv } from "../key-custody/key-cipher-runtime.js";
import { keyFingerprinterFromEnv } from "../key-custody/key-fingerprint-secret.js";
import { logger } from "../platform/observability.js";
import { portalClient, portalSecretName } from "../portal/portal-runtime.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import type { OnboardingDeps } from "./onboarding-steps.js";

export function onboardingDeps(): OnboardingDeps {
  return {
    store: practiceStore({ fingerprint: keyFingerprinterFromEnv(), keyCipher: keyCipherFromEnv() }),
    portal: portalClient(),
    portalSecretName: portalSecretName(),
    logger,
  };
}
