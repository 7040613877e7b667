// Masking: secrets never appear in full in logs, errors, state or CLI output. Portal credentials and webhook
// secrets go through maskSecret; a CustomerKey never does (the old form `QJXZ…W2HD` showed half the key): it is shown
// as `…W2HD #3f9a1c` (functions/key-custody/masked-key.ts), or as `…W2HD` where its fingerprint is not at hand
// (free text, the portal client). docs/architecture.md §4 invariants 6 and 13.

/** A credential, `devkey-0123456789` → `devk…6789`. Short values (under 12 characters) are fully hidden. */
export function maskSecret(value: string | undefined | null): string {
  if (!value) return "";
  if (value.length < 12) return "…";
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/** Replaces every occurrence of each credential in `text` with its masked form. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined | null>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(maskSecret(secret));
  }
  return out;
}

/**
 * A CustomerKey whose fingerprint is not at hand: its last 4 characters only, `QJXZR4PNK5B8W2HD` → `…W2HD`; a key
 * under 12 characters shows none (4 would be too large a share of it). The first part of every masked form
 * (`…W2HD #3f9a1c` adds the fingerprint).
 */
export function maskKeyTail(customerKey: string): string {
  return `…${customerKey.length < 12 ? "" : customerKey.slice(-4)}`;
}

/**
 * A CustomerKey as the portal issues it: 16 upper-case letters or digits, not part of a longer such run. Not
 * `\b`: a key glued to a lower-case letter or an underscore (`key_QJXZ…`) has no word boundary and would slip by.
 */
export const CUSTOMER_KEY_PATTERN = /(?<![A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])/g;

/**
 * Masks anything shaped like a CustomerKey (`…W2HD`), for text whose keys we do not know in advance — and every
 * occurrence of `known`, the key the text is about, even glued to other capitals where the shape would miss it.
 */
export function redactCustomerKeys(text: string, known?: string | null): string {
  return (known ? text.split(known).join(maskKeyTail(known)) : text).replace(
    CUSTOMER_KEY_PATTERN,
    maskKeyTail,
  );
}
