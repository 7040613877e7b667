// key-cipher.ts against the local KMS with the real SDK v3 client: what a table reader sees is ciphertext, only
// the practice the key was encrypted for can have it back, and no error ever carries the key.
import { KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isEncryptedCustomerKey,
  type KeyCipher,
  kmsKeyCipher,
} from "../../../functions/key-custody/key-cipher.js";
import {
  KeyCiphertextRejected,
  KeyCustodyDenied,
  KeyCustodyUnavailable,
} from "../../../functions/key-custody/key-custody-errors.js";
import { type KmsHarness, startKmsHarness } from "./local-kms-harness.js";

const KEY = "QJXZR4PNK5B8W2HD";
const PRACTICE = { practiceId: "practice-001" };

let harness: KmsHarness;
let cipher: KeyCipher;

beforeAll(async () => {
  harness = await startKmsHarness({
    // The seam the IAM work plugs into: here, the operator role holds no kms:Decrypt on the custody key.
    authorize: (request) => !(request.accessKeyId === "operator" && request.action === "kms:Decrypt"),
  });
  cipher = kmsKeyCipher({ kms: harness.client(), keyId: harness.outputs.CustodyKeyArn! });
});
afterAll(() => harness.close());

/** The key, or any 8-character run of it, anywhere in what an error exposes. */
function expectNoKeyIn(error: unknown): void {
  const exposed = [
    String(error),
    (error as Error).stack ?? "",
    JSON.stringify(error),
    String((error as Error).cause),
  ];
  for (let start = 0; start + 8 <= KEY.length; start++)
    for (const text of exposed) expect(text).not.toContain(KEY.slice(start, start + 8));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  if (!error) throw new Error("expected a failure");
  expectNoKeyIn(error);
  return error;
}

describe("kmsKeyCipher", () => {
  it("round-trips a key; the stored form is base64 ciphertext holding no run of the key", async () => {
    const encrypted = await cipher.encrypt(KEY, PRACTICE);
    expect(isEncryptedCustomerKey(encrypted)).toBe(true);
    for (let start = 0; start + 8 <= KEY.length; start++)
      expect(encrypted).not.toContain(KEY.slice(start, start + 8));
    expect(Buffer.from(encrypted.slice(5), "base64").includes(Buffer.from(KEY))).toBe(false);
    expect(await cipher.decrypt(encrypted, PRACTICE)).toBe(KEY);
  });

  it("encrypts the same key differently each time", async () => {
    expect(await cipher.encrypt(KEY, PRACTICE)).not.toBe(await cipher.encrypt(KEY, PRACTICE));
  });

  it("refuses another practice's ciphertext (copied between records) as KeyCiphertextRejected", async () => {
    const encrypted = await cipher.encrypt(KEY, PRACTICE);
    const error = await failure(cipher.decrypt(encrypted, { practiceId: "practice-002" }));
    expect(error).toBeInstanceOf(KeyCiphertextRejected);
    expect(error.name).toBe("KeyCiphertextRejected");
    expect(error.message).toContain("InvalidCiphertextException");
  });

  it("refuses a tampered ciphertext", async () => {
    const encrypted = await cipher.encrypt(KEY, PRACTICE);
    const blob = Buffer.from(encrypted.slice(5), "base64");
    blob[Math.floor(blob.length / 2)]! ^= 0x40;
    const tampered = `kms1:${blob.toString("base64")}`;
    expect(await failure(cipher.decrypt(tampered, PRACTICE))).toBeInstanceOf(KeyCiphertextRejected);
  });

  it("refuses a plaintext key where ciphertext belongs, without sending it to KMS or echoing it", async () => {
    const error = await failure(cipher.decrypt(KEY, PRACTICE));
    expect(error).toBeInstanceOf(KeyCiphertextRejected);
  });

  it("refuses a ciphertext under another KMS key (IncorrectKeyException)", async () => {
    const other = kmsKeyCipher({ kms: harness.client(), keyId: harness.outputs.OtherKeyArn! });
    const encrypted = await other.encrypt(KEY, PRACTICE);
    const error = await failure(cipher.decrypt(encrypted, PRACTICE));
    expect(error).toBeInstanceOf(KeyCiphertextRejected);
    expect(error.message).toContain("IncorrectKeyException");
  });

  it("gives a role without kms:Decrypt KeyCustodyDenied (not retryable); it may still encrypt", async () => {
    const operator = kmsKeyCipher({ kms: harness.client("operator"), keyId: harness.outputs.CustodyKeyArn! });
    const encrypted = await operator.encrypt(KEY, PRACTICE);
    const error = await failure(operator.decrypt(encrypted, PRACTICE));
    expect(error).toBeInstanceOf(KeyCustodyDenied);
    expect(error).toMatchObject({ name: "KeyCustodyDenied", retryable: false });
    expect(error.message).toContain("AccessDeniedException");
  });

  it("makes a disabled custody key KeyCustodyDenied", async () => {
    const disabled = kmsKeyCipher({ kms: harness.client(), keyId: harness.outputs.DisabledKeyArn! });
    expect(await failure(disabled.encrypt(KEY, PRACTICE))).toBeInstanceOf(KeyCustodyDenied);
  });

  it("makes an unreachable KMS KeyCustodyUnavailable (retryable), on encrypt and decrypt", async () => {
    const encrypted = await cipher.encrypt(KEY, PRACTICE);
    const unreachable = kmsKeyCipher({
      kms: new KMSClient({
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        maxAttempts: 1,
      }),
      keyId: harness.outputs.CustodyKeyArn!,
    });
    for (const attempt of [unreachable.encrypt(KEY, PRACTICE), unreachable.decrypt(encrypted, PRACTICE)]) {
      const error = await failure(attempt);
      expect(error).toBeInstanceOf(KeyCustodyUnavailable);
      expect(error).toMatchObject({ retryable: true });
    }
  });

  it("needs the practice id: it is the encryption context", async () => {
    await expect(cipher.encrypt(KEY, { practiceId: "" })).rejects.toThrow(/practiceId/);
  });
});
