// The offboarding Lambda that calls the portal: the practice store (opening the key to disable it through the
// custody key, docs/architecture.md §4 invariant 13), the rate-limited portal client and the logger, each built
// once per container on first use.
import { keyCipherFromEnv } from "../key-custody/key-cipher-runtime.js";
import { logger } from "../platform/observability.js";
import { portalClient, portalSecretName } from "../portal/portal-runtime.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import type { OffboardingDeps } from "./offboarding-steps.js";

export function offboardingDeps(): OffboardingDeps {
  return {
    store: practiceStore({ keyCipher: keyCipherFromEnv() }),
    portal: portalClient(),
    portalSecretName: portalSecretName(),
    logger,
  };
}
