// A practice record as ops shows it: the key only masked (its stored masked form: the record holds the key as a
// ciphertext ops cannot open), never the full value nor its ciphertext.
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
