// The local KMS through the local AWS JSON endpoint with the real SDK v3 KMS client: the behaviour KMS
// documents for Encrypt, Decrypt, GenerateDataKey and DescribeKey, encryption-context binding included.
// https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  DecryptCommand,
  DescribeKeyCommand,
  DisabledException,
  EncryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  NotFoundException,
} from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "../../../local/aws-json-endpoint.js";
import type { SynthesizedStack } from "../../../local/cloudformation-template.js";
import { localKmsService } from "../../../local/kms/kms-service.js";
import { type KmsAuthorizationRequest, LocalKms } from "../../../local/kms/local-kms.js";
import { LocalSecretStore } from "../../../local/local-secret-store.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";
import { TemplateResolver } from "../../../local/template-resolver.js";
import { LocalWorkflowEngine } from "../../../local/workflow-engine.js";
import { buildKmsFixtureApp, CUSTODY_ALIAS } from "./kms-fixture-app.js";

const PLAINTEXT = new TextEncoder().encode("QJXZR4PNK5B8W2HD");
const CONTEXT = { practiceId: "practice-001", purpose: "open-dental-customer-key" };

let templates: SynthesizedStack[];
let outputs: Record<string, string>;
const started: { endpoint: LocalAwsEndpoint; engine: LocalWorkflowEngine; client: KMSClient }[] = [];
const dataDir = mkdtempSync(path.join(tmpdir(), "local-kms-"));
const authorizationRequests: KmsAuthorizationRequest[] = [];
let kms: KMSClient;

/** Starts an endpoint serving `localKms`; `accessKeyId` is what the client signs with. */
async function serve(localKms: LocalKms, accessKeyId = "local"): Promise<KMSClient> {
  const engine = new LocalWorkflowEngine({ templates });
  const endpoint = await startLocalAwsEndpoint({
    engine,
    secrets: LocalSecretStore.fromTemplates(templates),
    services: [localKmsService(localKms)],
  });
  const client = clientFor(endpoint, accessKeyId);
  started.push({ endpoint, engine, client });
  return client;
}

function clientFor(endpoint: LocalAwsEndpoint, accessKeyId: string): KMSClient {
  return new KMSClient({
    endpoint: endpoint.url,
    region: "us-east-1",
    credentials: { accessKeyId, secretAccessKey: "local" },
  });
}

async function encrypt(client = kms, context: Record<string, string> = CONTEXT): Promise<Uint8Array> {
  const { CiphertextBlob } = await client.send(
    new EncryptCommand({ KeyId: outputs.CustodyKeyArn, Plaintext: PLAINTEXT, EncryptionContext: context }),
  );
  return CiphertextBlob!;
}

beforeAll(async () => {
  templates = synthesizeTemplates(buildKmsFixtureApp);
  const [stack] = templates;
  const resolver = new TemplateResolver(stack!.template, { stackName: stack!.stackName });
  outputs = Object.fromEntries(
    Object.entries(stack!.template.Outputs ?? {}).map(([name, output]) => [
      name,
      resolver.resolveString((output as { Value: unknown }).Value, name),
    ]),
  );
  kms = await serve(
    LocalKms.fromTemplates(templates, {
      dataDir,
      authorize: (request) => {
        authorizationRequests.push(request);
        return !(request.accessKeyId === "operator" && request.action === "kms:Decrypt");
      },
    }),
  );
});

afterAll(async () => {
  for (const { endpoint, engine, client } of started) {
    client.destroy();
    await endpoint.close();
    await engine.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("local KMS: Encrypt and Decrypt", () => {
  it("round-trips, and reports the key ARN the template's Fn::GetAtt gives functions", async () => {
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: outputs.CustodyKeyArn, Plaintext: PLAINTEXT, EncryptionContext: CONTEXT }),
    );
    expect(encrypted.KeyId).toBe(outputs.CustodyKeyArn);
    expect(encrypted.EncryptionAlgorithm).toBe("SYMMETRIC_DEFAULT");
    expect(Buffer.from(encrypted.CiphertextBlob!).includes(Buffer.from(PLAINTEXT))).toBe(false);
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: CONTEXT }),
    );
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(PLAINTEXT));
    expect(decrypted.KeyId).toBe(outputs.CustodyKeyArn);
  });

  it.each([
    ["key id", () => outputs.CustodyKeyArn!.split("/").pop()!],
    ["alias name", () => CUSTODY_ALIAS],
    ["alias ARN", () => `arn:aws:kms:us-east-1:000000000000:${CUSTODY_ALIAS}`],
  ])("accepts the key by its %s, as KMS's KeyId does", async (_form, keyId) => {
    const encrypted = await kms.send(new EncryptCommand({ KeyId: keyId(), Plaintext: PLAINTEXT }));
    expect(encrypted.KeyId).toBe(outputs.CustodyKeyArn);
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: keyId() }),
    );
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(PLAINTEXT));
  });

  it("ignores the order of the encryption context's pairs", async () => {
    const blob = await encrypt();
    const reordered = { purpose: CONTEXT.purpose, practiceId: CONTEXT.practiceId };
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: reordered }),
    );
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(PLAINTEXT));
  });

  it.each([
    ["another practice", { ...CONTEXT, practiceId: "practice-002" }],
    ["a value differing only in case", { ...CONTEXT, practiceId: "PRACTICE-001" }],
    ["a missing pair", { practiceId: CONTEXT.practiceId }],
    ["an extra pair", { ...CONTEXT, extra: "x" }],
    ["no context at all", undefined],
  ])("refuses Decrypt with %s as InvalidCiphertextException", async (_case, context) => {
    const blob = await encrypt();
    await expect(
      kms.send(
        new DecryptCommand({ CiphertextBlob: blob, ...(context ? { EncryptionContext: context } : {}) }),
      ),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  it("refuses any altered byte of the ciphertext blob, and a truncated one", async () => {
    const blob = Buffer.from(await encrypt());
    for (const index of [0, 1, 5, Math.floor(blob.length / 2), blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[index] = tampered[index]! ^ 0x01;
      await expect(
        kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: CONTEXT })),
        `byte ${index}`,
      ).rejects.toBeInstanceOf(InvalidCiphertextException);
    }
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: blob.subarray(0, 20), EncryptionContext: CONTEXT })),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  it("refuses Decrypt naming another key than the blob's with IncorrectKeyException", async () => {
    const blob = await encrypt();
    await expect(
      kms.send(
        new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: CONTEXT, KeyId: outputs.OtherKeyArn }),
      ),
    ).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  it("answers NotFoundException for an unknown key and DisabledException for a disabled one", async () => {
    await expect(
      kms.send(new EncryptCommand({ KeyId: "alias/no-such-key", Plaintext: PLAINTEXT })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      kms.send(new EncryptCommand({ KeyId: outputs.DisabledKeyArn, Plaintext: PLAINTEXT })),
    ).rejects.toBeInstanceOf(DisabledException);
  });
});

describe("local KMS: GenerateDataKey and DescribeKey", () => {
  it("returns a data key and its encryption, which Decrypt opens under the same context only", async () => {
    const dataKey = await kms.send(
      new GenerateDataKeyCommand({
        KeyId: outputs.CustodyKeyArn,
        KeySpec: "AES_256",
        EncryptionContext: CONTEXT,
      }),
    );
    expect(dataKey.Plaintext).toHaveLength(32);
    expect(dataKey.KeyId).toBe(outputs.CustodyKeyArn);
    const opened = await kms.send(
      new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: CONTEXT }),
    );
    expect(Buffer.from(opened.Plaintext!)).toEqual(Buffer.from(dataKey.Plaintext!));
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: {} })),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  it("insists on exactly one of KeySpec and NumberOfBytes", async () => {
    const both = new GenerateDataKeyCommand({
      KeyId: outputs.CustodyKeyArn,
      KeySpec: "AES_256",
      NumberOfBytes: 32,
    });
    await expect(kms.send(both)).rejects.toMatchObject({ name: "ValidationException" });
    const neither = new GenerateDataKeyCommand({ KeyId: outputs.CustodyKeyArn });
    await expect(kms.send(neither)).rejects.toMatchObject({ name: "ValidationException" });
  });

  it("describes a key found by alias", async () => {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: CUSTODY_ALIAS }));
    expect(KeyMetadata).toMatchObject({
      Arn: outputs.CustodyKeyArn,
      Enabled: true,
      KeyState: "Enabled",
      KeyUsage: "ENCRYPT_DECRYPT",
      KeySpec: "SYMMETRIC_DEFAULT",
      Description: "CustomerKeys at rest",
    });
    expect(KeyMetadata!.CreationDate).toBeInstanceOf(Date);
  });
});

describe("local KMS: authorization seam", () => {
  it("asks the authorizer with the caller's access key id, the key ARN and the encryption-context keys", async () => {
    authorizationRequests.length = 0;
    await encrypt();
    expect(authorizationRequests).toContainEqual({
      headers: expect.objectContaining({ "x-amz-target": "TrentService.Encrypt" }),
      action: "kms:Encrypt",
      resource: outputs.CustodyKeyArn,
      accessKeyId: "local",
      context: {
        "kms:CallerAccount": "000000000000",
        "kms:EncryptionContextKeys": ["practiceId", "purpose"],
        "kms:EncryptionContext:practiceId": "practice-001",
        "kms:EncryptionContext:purpose": "open-dental-customer-key",
      },
    });
  });

  it("answers AccessDeniedException to a caller the authorizer refuses kms:Decrypt", async () => {
    const blob = await encrypt();
    const operator = clientFor(started[0]!.endpoint, "operator");
    try {
      await expect(
        operator.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: CONTEXT })),
      ).rejects.toMatchObject({ name: "AccessDeniedException", $metadata: { httpStatusCode: 400 } });
      // The same caller may still encrypt: only Decrypt is withheld.
      await expect(encrypt(operator)).resolves.toBeInstanceOf(Uint8Array);
    } finally {
      operator.destroy();
    }
  });
});

describe("local KMS: master secrets", () => {
  it("persist under the data dir (owner-only), so ciphertexts outlive a restart", async () => {
    const blob = await encrypt();
    const restarted = await serve(LocalKms.fromTemplates(templates, { dataDir }));
    const decrypted = await restarted.send(
      new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: CONTEXT }),
    );
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(PLAINTEXT));
    const secretFile = path.join(dataDir, "kms", `${outputs.CustodyKeyArn!.split("/").pop()}.key`);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  });

  it("are this process's own without a data dir: another KMS cannot open the blob", async () => {
    const blob = await encrypt();
    const other = await serve(LocalKms.fromTemplates(templates));
    await expect(
      other.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: CONTEXT })),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
  });
});
