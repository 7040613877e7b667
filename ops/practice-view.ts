// A practice record as ops shows it: the key only masked, never the full value.
import { maskSecret } from "../functions/platform/mask.js";
import type { PracticeRecord } from "../functions/practice/practice-record.js";

/** The record without its secret fields (`customerKey`, `previousCustomerKey`), masked forms instead. */
export interface PracticeView extends Omit<PracticeRecord, "customerKey" | "previousCustomerKey"> {
  readonly maskedKey?: string;
  readonly previousMaskedKey?: string;
}

export function practiceView(record: PracticeRecord): PracticeView {
  const { customerKey, previousCustomerKey, ...rest } = record;
  return {
    ...rest,
    ...(customerKey ? { maskedKey: record.maskedKey ?? maskSecret(customerKey) } : {}),
    ...(previousCustomerKey ? { previousMaskedKey: maskSecret(previousCustomerKey) } : {}),
  };
}
