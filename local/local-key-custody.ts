// The local stack's key-fingerprint secret: what Secrets Manager generates on deploy (64 alphanumeric characters,
// lib/key-custody.ts), made once per state dir and kept there, since every ledger address in the local table is
// an HMAC under it (docs/architecture.md §4).
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LENGTH = 64;

export function localFingerprintSecret(stateDir: string): string {
  const file = path.join(stateDir, "kms", "key-fingerprint.secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  // 248 is the largest multiple of 62 below 256: rejecting the rest keeps every character equally likely.
  let secret = "";
  while (secret.length < LENGTH)
    for (const byte of randomBytes(LENGTH))
      if (byte < 248 && secret.length < LENGTH) secret += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, secret, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
