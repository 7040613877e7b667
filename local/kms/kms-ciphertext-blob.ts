// The local KMS's ciphertext blob: opaque to callers, like KMS's, but self-describing so Decrypt finds the key
// without being told (as KMS does for symmetric keys). AES-256-GCM under the key's master secret, with the key
// ARN and the canonical encryption context as additional authenticated data: a blob moved to another context or
// key, or altered in any byte, fails authentication.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type EncryptionContext = Readonly<Record<string, string>>;

/** Key order does not matter to KMS; names and values are case-sensitive. */
export function canonicalEncryptionContext(context: EncryptionContext): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function additionalData(keyArn: string, context: EncryptionContext): Buffer {
  return Buffer.from(`local-kms/v${FORMAT_VERSION}\0${keyArn}\0${canonicalEncryptionContext(context)}`);
}

export function sealBlob(
  key: { id: string; arn: string; secret: Buffer },
  plaintext: Buffer,
  context: EncryptionContext,
): Buffer {
  const keyId = Buffer.from(key.id, "utf8");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.secret, iv);
  cipher.setAAD(additionalData(key.arn, context));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION, keyId.length]), keyId, iv, sealed, cipher.getAuthTag()]);
}

/** The key id the blob names, or undefined when the blob is not one of ours. */
export function blobKeyId(blob: Buffer): string | undefined {
  if (blob.length < 2 || blob[0] !== FORMAT_VERSION) return undefined;
  const idLength = blob[1]!;
  if (idLength === 0 || blob.length < 2 + idLength + IV_BYTES + TAG_BYTES) return undefined;
  return blob.subarray(2, 2 + idLength).toString("utf8");
}

/** The plaintext, or undefined when authentication fails (altered blob, other key, other context). */
export function openBlob(
  key: { arn: string; secret: Buffer },
  blob: Buffer,
  context: EncryptionContext,
): Buffer | undefined {
  const start = 2 + blob[1]!;
  const iv = blob.subarray(start, start + IV_BYTES);
  const sealed = blob.subarray(start + IV_BYTES, blob.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key.secret, iv);
  decipher.setAAD(additionalData(key.arn, context));
  decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed), decipher.final()]);
  } catch {
    return undefined;
  }
}
