// A practice record as ops shows it: the key only masked, never the full value.
import {
  type PracticeRecord,
  shownKeyOf,
  shownPreviousKeyOf,
} from "../functions/practice/practice-record.js";

/** The record without its secret fields (`customerKey`, `previousCustomerKey`), masked forms instead. */
export interface PracticeView extends Omit<PracticeRecord, "customerKey" | "previousCustomerKey"> {
  readonly maskedKey?: string;
  readonly previousMaskedKey?: string;
}

export function practiceView(record: PracticeRecord): PracticeView {
  const { customerKey, previousCustomerKey, ...rest } = record;
  return {
    ...rest,
    ...(customerKey ? { maskedKey: shownKeyOf(record) } : {}),
    ...(previousCustomerKey ? { previousMaskedKey: shownPreviousKeyOf(record) } : {}),
  };
}
