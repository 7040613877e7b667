// The local KMS is good enough for the AWS Encryption SDK's KMS keyring (GenerateDataKey on encrypt, Decrypt with
// the KeyId on decrypt), so the local stack could run it if key custody ever moves to it. The Encryption SDK is
// not a dependency (key-cipher.ts uses KMS directly, for bundle size): this runs only where
// `@aws-crypto/client-node` is installed (`npm install --no-save @aws-crypto/client-node@5.0.2`).
import { KMS } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KmsHarness, startKmsHarness } from "./local-kms-harness.js";

const ENCRYPTION_SDK = "@aws-crypto/client-node";

/** The part of the Encryption SDK used here, typed locally so the project type-checks without the package. */
interface EncryptionSdk {
  CommitmentPolicy: { REQUIRE_ENCRYPT_REQUIRE_DECRYPT: unknown };
  KmsKeyringNode: new (options: { generatorKeyId: string; clientProvider: () => unknown }) => object;
  buildClient(policy: unknown): {
    encrypt(
      keyring: object,
      plaintext: string,
      options: { encryptionContext: Record<string, string> },
    ): Promise<{ result: Buffer }>;
    decrypt(
      keyring: object,
      ciphertext: Buffer,
    ): Promise<{ plaintext: Buffer; messageHeader: { encryptionContext: Record<string, string> } }>;
  };
}

const esdk = (await import(/* @vite-ignore */ ENCRYPTION_SDK).catch(() => undefined)) as
  | EncryptionSdk
  | undefined;

describe.skipIf(esdk === undefined)("AWS Encryption SDK against the local KMS", () => {
  const CONTEXT = { practiceId: "practice-001", purpose: "open-dental-customer-key" };
  let harness: KmsHarness;
  let keyring: object;
  let client: ReturnType<EncryptionSdk["buildClient"]>;

  beforeAll(async () => {
    const { buildClient, CommitmentPolicy, KmsKeyringNode } = esdk!;
    harness = await startKmsHarness();
    // The keyring calls methods (kms.generateDataKey), so it takes the aggregated `KMS` client, not `KMSClient`.
    const kms = new KMS({
      endpoint: harness.endpoint.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    keyring = new KmsKeyringNode({
      generatorKeyId: harness.outputs.CustodyKeyArn!,
      clientProvider: () => kms,
    });
  });
  afterAll(() => harness?.close());

  it("round-trips through the KMS keyring, the encryption context in the signed header", async () => {
    const { result } = await client.encrypt(keyring, "QJXZR4PNK5B8W2HD", { encryptionContext: CONTEXT });
    expect(result.includes(Buffer.from("QJXZR4PNK5B8W2HD"))).toBe(false);
    const { plaintext, messageHeader } = await client.decrypt(keyring, result);
    expect(plaintext.toString("utf8")).toBe("QJXZR4PNK5B8W2HD");
    expect(messageHeader.encryptionContext).toMatchObject(CONTEXT);
  });

  it("refuses a tampered message", async () => {
    const { result } = await client.encrypt(keyring, "QJXZR4PNK5B8W2HD", { encryptionContext: CONTEXT });
    const tampered = Buffer.from(result);
    tampered[tampered.length - 120]! ^= 0x01;
    await expect(client.decrypt(keyring, tampered)).rejects.toThrow();
  });
});
