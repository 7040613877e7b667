// The keyed fingerprint of a CustomerKey: HMAC-SHA-256 of the key under a secret kept in Secrets Manager. It
// addresses the key → practice ledger (`KEY#<fingerprint>`) and reconciliation's seen-set (`SEEN#<fingerprint>`)
// so no table key holds a CustomerKey (docs/architecture.md §4), and its first 6 hex digits tell keys apart in the
// masked form. Without the secret, a fingerprint says nothing about the key: the 16-character key space cannot
// be searched against it.
import { createHmac } from "node:crypto";
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsGetOptions } from "@aws-lambda-powertools/parameters/secrets/types";
import { ConfigurationError, InvalidInput, SecretsUnavailable } from "../platform/errors.js";

/** Full HMAC-SHA-256 in lower-case hex (64 digits): the table address form. */
export type KeyFingerprint = string & { readonly __brand: "KeyFingerprint" };
/** Its first 6 hex digits: the display form, in masked keys. */
export type ShortFingerprint = string & { readonly __brand: "ShortFingerprint" };

/** Bytes of HMAC key the fingerprint secret must hold at least (SHA-256's output size, RFC 2104 §3). */
export const MIN_FINGERPRINT_SECRET_BYTES = 32;
/** How long a fetched fingerprint secret is reused: as for the portal credentials. */
export const FINGERPRINT_SECRET_MAX_AGE_SECONDS = 300;

const FINGERPRINT = /^[0-9a-f]{64}$/;
const SHORT_LENGTH = 6;

export function fingerprintCustomerKey(customerKey: string, secret: Uint8Array): KeyFingerprint {
  if (typeof customerKey !== "string" || customerKey.length === 0)
    throw new InvalidInput("a CustomerKey to fingerprint must be a non-empty string");
  if (secret.byteLength < MIN_FINGERPRINT_SECRET_BYTES)
    throw new ConfigurationError(
      `the fingerprint secret must hold at least ${MIN_FINGERPRINT_SECRET_BYTES} bytes`,
    );
  return createHmac("sha256", secret).update(customerKey, "utf8").digest("hex") as KeyFingerprint;
}

export function shortFingerprint(fingerprint: KeyFingerprint): ShortFingerprint {
  return fingerprint.slice(0, SHORT_LENGTH) as ShortFingerprint;
}

/** For values read back from the table (e.g. the fingerprint part of `KEY#…`). */
export function isKeyFingerprint(value: unknown): value is KeyFingerprint {
  return typeof value === "string" && FINGERPRINT.test(value);
}

/** The fetch function (Powertools `getSecret` by default); tests pass one bound to a local endpoint. */
export type SecretFetcher = (name: string, options: SecretsGetOptions) => Promise<unknown>;

/** Fingerprints CustomerKeys; the secret is fetched (and cached) on first use. */
export type KeyFingerprinter = (customerKey: string) => Promise<KeyFingerprint>;

/**
 * A fingerprinter whose secret is the SecretString of `secretId` (at least 32 characters; CDK's generated
 * 64-character password fits), read through Powertools' cache like the portal credentials. The secret is never
 * rotated in place: every ledger and seen-set address depends on it (re-addressing is `ops migrate-keys`' job).
 */
export function keyFingerprinterFromSecret(
  secretId: string,
  fetchSecret: SecretFetcher = getSecret as SecretFetcher,
): KeyFingerprinter {
  return async (customerKey) => {
    let raw: unknown;
    try {
      raw = await fetchSecret(secretId, { maxAge: FINGERPRINT_SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw secretReadError(secretId, error);
    }
    const secret = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
    if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_FINGERPRINT_SECRET_BYTES)
      throw new ConfigurationError(
        `fingerprint secret ${secretId} must be a SecretString of at least ${MIN_FINGERPRINT_SECRET_BYTES} characters`,
      );
    return fingerprintCustomerKey(customerKey, secret);
  };
}

/**
 * Secrets Manager errors that no retry can fix (missing, no permission, undecryptable) are a ConfigurationError;
 * the rest (throttling, 5xx, network) SecretsUnavailable. The same split as functions/portal/portal-credentials.ts.
 */
const PERMANENT_SECRET_ERRORS = new Set([
  "ResourceNotFoundException",
  "AccessDeniedException",
  "DecryptionFailure",
  "InvalidRequestException",
  "InvalidParameterException",
  "UnrecognizedClientException",
]);

function secretReadError(secretId: string, error: unknown): Error {
  // Powertools wraps the SDK error in GetParameterError; the SDK's name says what went wrong.
  const reason = (error as { cause?: { name?: string } }).cause?.name ?? (error as Error).name ?? "Error";
  const message = `could not read the fingerprint secret ${secretId}: ${reason}`;
  return PERMANENT_SECRET_ERRORS.has(reason)
    ? new ConfigurationError(message, { cause: error })
    : new SecretsUnavailable(message, { cause: error });
}
