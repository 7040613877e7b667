// Encrypts a CustomerKey before it is written and decrypts it for the functions that must send it to the portal
// (docs/architecture.md §4, invariant 6). Each key is encrypted by KMS itself (Encrypt/Decrypt under the dedicated
// custody CMK) with the encryption context {practiceId, purpose}: KMS binds the context as authenticated data, so a
// ciphertext copied to another practice's record, or altered in any byte, does not decrypt, and CloudTrail
// records which practice's key each Decrypt opened. Why KMS directly and not the AWS Encryption SDK or our own
// envelope: the key is 16 bytes (KMS encrypts up to 4 KB), each way is one KMS call either way, and the
// Encryption SDK adds ~390 KB to a handler where the KMS client adds ~31 KB (docs/architecture.md §8; the
// key-cipher bundle test measures it).
import {
  DecryptCommand,
  type DecryptCommandOutput,
  EncryptCommand,
  type EncryptCommandOutput,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { KeyCiphertextRejected, KeyCustodyDenied, KeyCustodyUnavailable } from "./key-custody-errors.js";

/** The stored form: `kms1:` + base64 of KMS's ciphertext blob; never a CustomerKey (which has no `:`). */
export type EncryptedCustomerKey = string & { readonly __brand: "EncryptedCustomerKey" };

/** Names what was encrypted, so a custody ciphertext cannot pass for any other use of the key. */
export const KEY_ENCRYPTION_PURPOSE = "open-dental-customer-key";

const PREFIX = "kms1:";
const STORED_FORM = /^kms1:[A-Za-z0-9+/]+={0,2}$/;

/** Whose key it is: the practice the record belongs to. */
export interface KeyOwner {
  readonly practiceId: string;
}

export interface KeyCipher {
  encrypt(customerKey: string, owner: KeyOwner): Promise<EncryptedCustomerKey>;
  /** Fails with KeyCiphertextRejected unless `encrypted` was made for `owner` under the custody key. */
  decrypt(encrypted: string, owner: KeyOwner): Promise<string>;
}

export interface KmsKeyCipherOptions {
  readonly kms: Pick<KMSClient, "send">;
  /** The custody CMK's ARN (preferred: Decrypt then refuses ciphertexts under any other key) or alias. */
  readonly keyId: string;
}

/** The KMS encryption context of a practice's key: what Decrypt must present again, and what CloudTrail logs. */
export function keyEncryptionContext(owner: KeyOwner): Record<string, string> {
  return { practiceId: owner.practiceId, purpose: KEY_ENCRYPTION_PURPOSE };
}

/** Tells a stored ciphertext from anything else (a legacy plaintext key, for `ops migrate-keys`). */
export function isEncryptedCustomerKey(value: unknown): value is EncryptedCustomerKey {
  return typeof value === "string" && STORED_FORM.test(value);
}

export function kmsKeyCipher({ kms, keyId }: KmsKeyCipherOptions): KeyCipher {
  return {
    async encrypt(customerKey, owner) {
      requirePracticeId(owner);
      if (typeof customerKey !== "string" || customerKey.length === 0)
        throw new TypeError("a CustomerKey to encrypt must be a non-empty string");
      let output: EncryptCommandOutput;
      try {
        output = await kms.send(
          new EncryptCommand({
            KeyId: keyId,
            Plaintext: new TextEncoder().encode(customerKey),
            EncryptionContext: keyEncryptionContext(owner),
          }),
        );
      } catch (error) {
        throw custodyError("encrypt", owner, error);
      }
      if (!output.CiphertextBlob?.length)
        throw new KeyCustodyUnavailable(
          `KMS returned no ciphertext encrypting practice ${owner.practiceId}'s key`,
        );
      return `${PREFIX}${Buffer.from(output.CiphertextBlob).toString("base64")}` as EncryptedCustomerKey;
    },

    async decrypt(encrypted, owner) {
      requirePracticeId(owner);
      if (!isEncryptedCustomerKey(encrypted))
        throw new KeyCiphertextRejected(
          `practice ${owner.practiceId}'s stored key is not a ${PREFIX} ciphertext (never decrypted, never shown)`,
        );
      let output: DecryptCommandOutput;
      try {
        output = await kms.send(
          new DecryptCommand({
            KeyId: keyId,
            CiphertextBlob: Buffer.from(encrypted.slice(PREFIX.length), "base64"),
            EncryptionContext: keyEncryptionContext(owner),
          }),
        );
      } catch (error) {
        throw custodyError("decrypt", owner, error);
      }
      if (!output.Plaintext?.length)
        throw new KeyCustodyUnavailable(
          `KMS returned no plaintext decrypting practice ${owner.practiceId}'s key`,
        );
      return new TextDecoder().decode(output.Plaintext);
    },
  };
}

function requirePracticeId(owner: KeyOwner): void {
  if (typeof owner?.practiceId !== "string" || owner.practiceId.length === 0)
    throw new TypeError("the key's owner needs a non-empty practiceId (it is the encryption context)");
}

/** The ciphertext itself is wrong: altered, another practice's, another key's. */
const REJECTED = new Set(["InvalidCiphertextException", "IncorrectKeyException"]);
/** KMS refuses by design (permission, key state, configuration): retrying cannot help. */
const DENIED = new Set([
  "AccessDeniedException",
  "NotFoundException",
  "DisabledException",
  "KMSInvalidStateException",
  "InvalidKeyUsageException",
  "InvalidGrantTokenException",
  "UnrecognizedClientException",
  "ValidationException",
]);

/** By the SDK error's name only: its message and request are left behind (the request holds the plaintext). */
function custodyError(operation: "encrypt" | "decrypt", owner: KeyOwner, error: unknown): Error {
  const reason = (error as { name?: string })?.name ?? "Error";
  const message = `KMS could not ${operation} practice ${owner.practiceId}'s key: ${reason}`;
  if (REJECTED.has(reason)) return new KeyCiphertextRejected(message);
  if (DENIED.has(reason)) return new KeyCustodyDenied(message);
  return new KeyCustodyUnavailable(message);
}
