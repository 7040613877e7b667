// The one shown form of a CustomerKey: its last 4 characters and its short keyed fingerprint, `…W2HD #3f9a1c`.
// Enough to tell keys apart and to match the portal screen an operator sees; not enough to narrow a search of
// the key space (4 of 16 characters, and a fingerprint useless without its secret). Replaces `QJXZ…W2HD`
// (functions/platform/mask.ts), which revealed half the key. docs/architecture.md §4.
import { type KeyFingerprint, type ShortFingerprint, shortFingerprint } from "./key-fingerprint.js";

/** A CustomerKey as every output shows it: logs, events, CLI, reports, errors. */
export type MaskedKey = string & { readonly __brand: "MaskedKey" };

/** Keys shorter than this show no characters at all: 4 would be too large a share of them. */
const MIN_LENGTH_SHOWING_LAST_4 = 12;

export const MASKED_KEY_PATTERN = /^…(?:[A-Za-z0-9]{4})? #[0-9a-f]{6}$/;

/** `QJXZR4PNK5B8W2HD` with fingerprint `3f9a1c…` → `…W2HD #3f9a1c`. */
export function maskCustomerKey(
  customerKey: string,
  fingerprint: KeyFingerprint | ShortFingerprint,
): MaskedKey {
  const short = fingerprint.length === 6 ? fingerprint : shortFingerprint(fingerprint as KeyFingerprint);
  const tail = customerKey.length >= MIN_LENGTH_SHOWING_LAST_4 ? customerKey.slice(-4) : "";
  return `…${tail} #${short}` as MaskedKey;
}

/** For values read back (events, records): true only for the masked shape, never for a key. */
export function isMaskedKey(value: unknown): value is MaskedKey {
  return typeof value === "string" && MASKED_KEY_PATTERN.test(value);
}
