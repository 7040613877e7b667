// The activation link's secret: 256 random bits, shown to the office once in the URL and stored only as its
// SHA-256 hash, so a copy of the table cannot be turned back into working links (docs/architecture.md §4, invariant 6).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 32 random bytes in base64url: 43 characters, no padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  /** The secret that goes into the URL. Never logged, stored or published. */
  readonly token: string;
  /** What the store keeps and looks links up by. */
  readonly tokenHash: string;
}

/** A fresh, unguessable token (crypto.randomBytes(32): 256 bits, well above the 128-bit floor). */
export function newActivationToken(): IssuedToken {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashActivationToken(token) };
}

/** SHA-256 of the token, hex. A plain hash suffices: the token has 256 bits of entropy, nothing to brute-force. */
export function hashActivationToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Only a token of the shape we issue is hashed and looked up; anything else is "unknown" without a read. */
export function isWellFormedActivationToken(value: string | undefined | null): value is string {
  return typeof value === "string" && TOKEN_PATTERN.test(value);
}

/**
 * A short, non-secret id of a link for logs and audit entries: the first 12 hex digits of the token's hash. It
 * identifies the link to operators without bringing anyone closer to the token.
 */
export function activationLinkId(tokenHash: string): string {
  return tokenHash.slice(0, 12);
}

/**
 * Binds a link to the key the practice held when it was issued, without storing anything derived from the key
 * alone: the fingerprint is salted with the link's own token hash, so equal keys give unrelated fingerprints.
 */
export function activationKeyFingerprint(tokenHash: string, keyBinding: string): string {
  // v2: bound to the key's keyed fingerprint, not the key (v1), so issuing a link needs no kms:Decrypt (§4).
  return createHash("sha256")
    .update(`activation-key-binding:v2:${tokenHash}:${keyBinding}`, "utf8")
    .digest("hex");
}

/** Whether the practice's current key is the one the link was issued for (constant-time comparison). */
export function keyMatchesFingerprint(tokenHash: string, keyBinding: string, fingerprint: string): boolean {
  const expected = Buffer.from(activationKeyFingerprint(tokenHash, keyBinding), "utf8");
  const actual = Buffer.from(fingerprint, "utf8");
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
