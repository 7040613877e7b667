// Reconciliation loop: list a few portal pages from the cursor and classify their keys (rate-limited portal);
// keys it sees installed are recorded with their PracticeKeyInstalled event (the table's outbox). It stores the
// candidates' and planned repairs' keys encrypted (docs/architecture.md §4 invariant 13).
import { keyCipherFromEnv } from "../key-custody/key-cipher-runtime.js";
import { keyFingerprinterFromEnv } from "../key-custody/key-fingerprint-secret.js";
import { stepHandler } from "../platform/step-handler.js";
import { portalClient } from "../portal/portal-runtime.js";
import { scanPortalKeys } from "./reconciliation-list-keys-step.js";
import { stepStateSchema } from "./reconciliation-payload.js";
import { reconciliationDeps } from "./reconciliation-runtime.js";

export const handler = stepHandler(stepStateSchema, (state) =>
  scanPortalKeys(
    {
      ...reconciliationDeps({ fingerprint: keyFingerprinterFromEnv(), keyCipher: keyCipherFromEnv() }),
      portal: portalClient(),
    },
    state,
  ),
);
