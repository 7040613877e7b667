// Masking for CustomerKeys and portal credentials: they never appear in full in logs, errors, state or CLI output.

/** `QJXZR4PNK5B8W2HD` → `QJXZ…W2HD`. Short values (under 12 characters) are fully hidden. */
export function maskSecret(value: string | undefined | null): string {
  if (!value) return "";
  if (value.length < 12) return "…";
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/** Replaces every occurrence of each secret in `text` with its masked form. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined | null>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(maskSecret(secret));
  }
  return out;
}

/**
 * A CustomerKey as the portal issues it: 16 upper-case letters or digits, not part of a longer such run. Not
 * `\b`: a key glued to a lower-case letter or an underscore (`key_QJXZ…`) has no word boundary and would slip by.
 */
export const CUSTOMER_KEY_PATTERN = /(?<![A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])/g;

/** Masks anything shaped like a CustomerKey, for text whose keys we do not know in advance. */
export function redactCustomerKeys(text: string): string {
  return text.replace(CUSTOMER_KEY_PATTERN, (key) => maskSecret(key));
}
