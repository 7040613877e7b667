// Names the custody construct (lib/key-custody.ts) and the custody code (functions/key-custody/) share.
// Dependency-free: Lambda bundles import it.

/** Environment variables of the functions that handle a key: the custody CMK's ARN, the fingerprint secret's ARN. */
export const KEY_CUSTODY_ENV = {
  keyArn: "KEY_CUSTODY_KEY_ARN",
  fingerprintSecret: "KEY_FINGERPRINT_SECRET_ARN",
} as const;

/**
 * The `purpose` of every custody ciphertext's KMS encryption context: IAM grants are conditioned on it
 * (`kms:EncryptionContext:purpose`), so the custody key encrypts and opens CustomerKeys and nothing else.
 */
export const KEY_ENCRYPTION_PURPOSE = "open-dental-customer-key";
