// The key cipher of the functions that write or send a CustomerKey (docs/architecture.md §4 invariant 13): the
// custody CMK named by KEY_CUSTODY_KEY_ARN (set by lib/key-custody.ts's grants), one KMS client per container,
// both made on first use. Imported only by those functions' runtimes, so no other handler bundles a KMS client.
import { KMSClient } from "@aws-sdk/client-kms";
import { KEY_CUSTODY_ENV } from "../../contracts/key-custody.js";
import { ConfigurationError } from "../platform/errors.js";
import { type KeyCipher, kmsKeyCipher } from "./key-cipher.js";

let kms: KMSClient | undefined;
let cipher: { readonly keyId: string; readonly cipher: KeyCipher } | undefined;

/** The container's cipher under KEY_CUSTODY_KEY_ARN, read when the first key is encrypted or opened. */
export function keyCipherFromEnv(env: Record<string, string | undefined> = process.env): KeyCipher {
  const current = (): KeyCipher => {
    const keyId = env[KEY_CUSTODY_ENV.keyArn];
    if (!keyId) throw new ConfigurationError(`environment variable ${KEY_CUSTODY_ENV.keyArn} is not set`);
    if (cipher?.keyId !== keyId) {
      kms ??= new KMSClient({});
      cipher = { keyId, cipher: kmsKeyCipher({ kms, keyId }) };
    }
    return cipher.cipher;
  };
  return {
    encrypt: (customerKey, owner) => current().encrypt(customerKey, owner),
    decrypt: (encrypted, owner) => current().decrypt(encrypted, owner),
  };
}
