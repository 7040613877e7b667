// Bundle probe: the same handler plus the key cipher (KMS client, Encrypt and Decrypt), to measure what it adds.
import { KMSClient } from "@aws-sdk/client-kms";
import { kmsKeyCipher } from "../../../functions/key-custody/key-cipher.js";
import { handler as withoutCipher } from "./bundle-probe-without-cipher.js";

const cipher = kmsKeyCipher({ kms: new KMSClient({}), keyId: "alias/probe" });

export const handler = async (event: { practiceId: string; encryptedKey: string }) => [
  await withoutCipher(event),
  await cipher.encrypt(await cipher.decrypt(event.encryptedKey, event), event),
];
