// The keyed fingerprint of a CustomerKey: HMAC-SHA-256 of the key under a secret kept in Secrets Manager. It
// addresses the key → practice ledger (`KEY#<fingerprint>`) and reconciliation's seen-set (`SEEN#<fingerprint>`)
// so no table key holds a CustomerKey (docs/architecture.md §4), and its first 6 hex digits tell keys apart in the
// masked form. Without the secret, a fingerprint says nothing about the key: the 16-character key space cannot
// be searched against it. Pure: the secret is fetched by key-fingerprint-secret.ts, which only the functions that
// first see a key import (the others carry the fingerprint on from the record, and bundle no Secrets Manager).
import { createHmac } from "node:crypto";
import { ConfigurationError, InvalidInput } from "../platform/errors.js";

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

/** Fingerprints CustomerKeys; the secret is fetched (and cached) on first use. */
export type KeyFingerprinter = (customerKey: string) => Promise<KeyFingerprint>;
