// The practice table as the activation page's KeySource: an ACTIVE practice's name and current key, nothing for
// any other status (an offboarding, failed or unknown practice has no key to hand out).
import type { ActivationKey, KeySource } from "../activation/key-source.js";
import { getPractice } from "./practice-reads.js";
import type { PracticeTable } from "./practice-table.js";

export function practiceKeySource(table: PracticeTable): KeySource {
  return {
    async activationKey(practiceId: string): Promise<ActivationKey | undefined> {
      const practice = await getPractice(table, practiceId);
      if (practice?.status !== "ACTIVE" || !practice.customerKey) return undefined;
      return { practiceId, devRefId: practice.devRefId, customerKey: practice.customerKey };
    },
  };
}
