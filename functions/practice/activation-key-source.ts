// The practice table as the activation page's KeySource: an ACTIVE practice's name and current key, nothing for
// any other status (an offboarding, failed or unknown practice has no key to hand out). The key is bound by its
// keyed fingerprint and opened (kms:Decrypt, the page's role only) when revealed (docs/architecture.md §4).
import type { ActivationKey, KeySource } from "../activation/key-source.js";
import { getPractice } from "./practice-reads.js";
import type { PracticeTable } from "./practice-table.js";
import { revealStoredKey } from "./stored-customer-key.js";

export function practiceKeySource(table: PracticeTable): KeySource {
  return {
    async activationKey(practiceId: string): Promise<ActivationKey | undefined> {
      const practice = await getPractice(table, practiceId);
      const stored = practice?.customerKey;
      if (practice?.status !== "ACTIVE" || !stored || !practice.keyFingerprint) return undefined;
      return {
        practiceId,
        devRefId: practice.devRefId,
        keyBinding: practice.keyFingerprint,
        reveal: () => revealStoredKey(table, stored, { practiceId }),
      };
    },
  };
}
