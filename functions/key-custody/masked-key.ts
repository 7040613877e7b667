// The one shown form of a CustomerKey: its last 4 characters and its short keyed fingerprint, `…W2HD #3f9a1c`.
// Enough to tell keys apart and to match the portal screen an operator sees; not enough to narrow a search of
// the key space (4 of 16 characters, and a fingerprint useless without its secret). Replaces the old `QJXZ…W2HD`
// (functions/platform/mask.ts), which revealed half the key. docs/architecture.md §4.
import { maskKeyTail } from "../platform/mask.js";
import { type KeyFingerprint, type ShortFingerprint, shortFingerprint } from "./key-fingerprint.js";

/** A CustomerKey as every output shows it: logs, events, CLI, reports, errors. */
export type MaskedKey = string & { readonly __brand: "MaskedKey" };

export const MASKED_KEY_PATTERN = /^…(?:[A-Za-z0-9]{4})? #[0-9a-f]{6}$/;

/** `QJXZR4PNK5B8W2HD` with fingerprint `3f9a1c…` → `…W2HD #3f9a1c`. */
export function maskCustomerKey(
  customerKey: string,
  fingerprint: KeyFingerprint | ShortFingerprint,
): MaskedKey {
  // The short form is the full one's first 6 hex digits (key-fingerprint.ts), so either gives it.
  return `${maskKeyTail(customerKey)} #${fingerprint.slice(0, 6)}` as MaskedKey;
}

/** A key whose characters are not at hand (stored encrypted): its short fingerprint alone, `… #3f9a1c`. */
export function maskByFingerprint(fingerprint: KeyFingerprint): MaskedKey {
  return `… #${fingerprint.slice(0, 6)}` as MaskedKey;
}

/** For values read back (events, records): true only for the masked shape, never for a key. */
export function isMaskedKey(value: unknown): value is MaskedKey {
  return typeof value === "string" && MASKED_KEY_PATTERN.test(value);
}

/** The form every output used before key custody: first 4 + `…` + last 4, or `…` alone for a short key. */
const LEGACY_MASKED_KEY = /^(?:[A-Z0-9]{4})?…([A-Z0-9]{4})?$/;

/** True for a stored masked key of the old `QJXZ…W2HD` form (8 characters of the key), to be rewritten. */
export function isLegacyMaskedKey(value: unknown): value is string {
  return typeof value === "string" && LEGACY_MASKED_KEY.test(value) && !MASKED_KEY_PATTERN.test(value);
}

/**
 * A masked key as stored, in the form shown today: the new form as is; the old `QJXZ…W2HD` rewritten from its
 * last 4 and the key's fingerprint (`…W2HD #3f9a1c`) — no key needed, so it works on records whose key is
 * encrypted — or, without a fingerprint, to `…W2HD`. Undefined for anything else (nothing stored).
 */
export function currentMaskedKey(
  stored: unknown,
  fingerprint: KeyFingerprint | undefined,
): MaskedKey | string | undefined {
  if (isMaskedKey(stored)) return stored;
  if (!isLegacyMaskedKey(stored)) return undefined;
  const tail = LEGACY_MASKED_KEY.exec(stored)![1];
  const shown = tail ? `…${tail}` : "…";
  return fingerprint ? (`${shown} #${shortFingerprint(fingerprint)}` as MaskedKey) : shown;
}
