// Reconciliation loop: list a few portal pages from the cursor and classify their keys (rate-limited portal);
// when an event sink is configured, announce the keys it sees installed (PracticeKeyInstalled).
import { configuredDomainEventPublisher } from "../domain-events/domain-events.js";
import { keyCipherFromEnv } from "../key-custody/key-cipher-runtime.js";
import { keyFingerprinterFromEnv } from "../key-custody/key-fingerprint-secret.js";
import { stepHandler } from "../platform/step-handler.js";
import { portalClient } from "../portal/portal-runtime.js";
import { scanPortalKeys } from "./reconciliation-list-keys-step.js";
import { stepStateSchema } from "./reconciliation-payload.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(stepStateSchema, (state) => {
  const publishEvent = configuredDomainEventPublisher();
  return scanPortalKeys(
    {
      ...reconciliationDeps({ fingerprint: keyFingerprinterFromEnv(), keyCipher: keyCipherFromEnv() }),
      portal: portalClient(),
      ...(publishEvent ? { publishEvent } : {}),
    },
    state,
  );
});
