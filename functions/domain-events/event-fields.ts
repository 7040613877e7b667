// The field types of a domain event, chosen so that no field can hold a full CustomerKey (docs/architecture.md
// §4, invariants 6 and 11): the publisher then has nothing to scan and never refuses a legitimate event.
//
// - A key appears only as a masked key, key custody's `…W2HD #3f9a1c` (last 4 and a short keyed fingerprint,
//   docs/architecture.md §4 invariant 13): at most 13 characters, it cannot contain a 16-character key, and it
//   shows 4 of them. The old form that showed 8 is refused.
// - Ids and labels (practiceId, devRefId) are what the CRM sent, validated by their own rules. A label like
//   `DENTALPRACTICE01` has a key's shape and is still just a label: it is published as given.
// - Free text (a failure message, an operator's reason) is the only field that could carry a key by accident
//   (a portal explanation quoting one). It is an EventText, made only by eventText(), which masks every
//   key-shaped token and bounds the length: masking is a property of the value, not a check at publish time.
import * as z from "zod/mini";
import { MASKED_KEY_PATTERN } from "../key-custody/masked-key.js";
import { DomainEventInvalid } from "../platform/errors.js";
import { redactCustomerKeys } from "../platform/mask.js";

/** Free text with every key-shaped token masked, at most MAX_EVENT_TEXT_LENGTH characters. */
export type EventText = string & { readonly __brand: "EventText" };

/** `…W2HD #3f9a1c`: key custody's masked form (functions/key-custody/masked-key.ts). */
export const EVENT_MASKED_KEY_PATTERN = MASKED_KEY_PATTERN;

/** Longest free text an event carries (docs/events.md). */
export const MAX_EVENT_TEXT_LENGTH = 1000;

/** Free text for an event: key-shaped tokens masked first, then bounded (masking never lengthens past a key). */
export function eventText(text: string, max: number = MAX_EVENT_TEXT_LENGTH): EventText {
  return redactCustomerKeys(text).slice(0, max) as EventText;
}

/** Schema of a masked key field. */
export const maskedKeyField = z
  .string()
  .check(z.regex(EVENT_MASKED_KEY_PATTERN, "must be a masked key like …W2HD #3f9a1c"))
  .brand<"EventMaskedKey">();

/** A masked CustomerKey as events carry it. */
export type EventMaskedKey = z.output<typeof maskedKeyField>;

/** The masked key, or undefined when `value` is not one. */
export function asEventMaskedKey(value: string | undefined | null): EventMaskedKey | undefined {
  return value && EVENT_MASKED_KEY_PATTERN.test(value) ? (value as EventMaskedKey) : undefined;
}

/** `value` as a masked key; @throws DomainEventInvalid when it is not one (never echoed: it might be a key). */
export function eventMaskedKey(value: string): EventMaskedKey {
  const masked = asEventMaskedKey(value);
  if (!masked) throw new DomainEventInvalid("maskedKey: must be a masked key like …W2HD #3f9a1c");
  return masked;
}

/**
 * Schema of a free-text field. Input from a state payload (JSON) is made an EventText on parse, the same way
 * eventText() makes it in code, so a value that did not pass through eventText() is masked, not refused.
 */
export function eventTextField(max: number = MAX_EVENT_TEXT_LENGTH) {
  return z.pipe(
    z.string().check(z.minLength(1), z.maxLength(max)),
    z.transform((text: string) => eventText(text, max)),
  );
}
