// The local KMS as a service of the local AWS JSON endpoint (`X-Amz-Target: TrentService.<Action>`, JSON 1.1),
// so the SDK v3 KMS client and the AWS Encryption SDK's KMS keyring work unchanged against AWS_ENDPOINT_URL_KMS.
// Blobs travel base64-encoded, as the AWS JSON protocol sends them.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html
import type { IncomingMessage } from "node:http";
import type { LocalAwsJsonService } from "../aws-json-endpoint.js";
import { ValidationException } from "../aws-service-errors.js";
import type { EncryptionContext } from "./kms-ciphertext-blob.js";
import type { KmsCaller, LocalKms } from "./local-kms.js";

type Body = Record<string, unknown>;

const SYMMETRIC = "SYMMETRIC_DEFAULT";
const KEY_SPEC_BYTES: Readonly<Record<string, number>> = { AES_256: 32, AES_128: 16 };

export function localKmsService(kms: LocalKms): LocalAwsJsonService {
  return {
    targetPrefix: "TrentService",
    jsonVersion: "1.1",
    operations: {
      Encrypt: (body, request) => {
        symmetricAlgorithm(body);
        const { ciphertextBlob, keyArn } = kms.encrypt(
          requiredString(body, "KeyId"),
          requiredBlob(body, "Plaintext"),
          encryptionContext(body),
          callerOf(request),
        );
        return {
          CiphertextBlob: ciphertextBlob.toString("base64"),
          KeyId: keyArn,
          EncryptionAlgorithm: SYMMETRIC,
        };
      },
      Decrypt: (body, request) => {
        symmetricAlgorithm(body);
        if (body.Recipient !== undefined)
          throw new ValidationException("Recipient (Nitro Enclaves) is not supported by the local KMS");
        const { plaintext, keyArn } = kms.decrypt(
          requiredBlob(body, "CiphertextBlob"),
          encryptionContext(body),
          typeof body.KeyId === "string" ? body.KeyId : undefined,
          callerOf(request),
        );
        return { Plaintext: plaintext.toString("base64"), KeyId: keyArn, EncryptionAlgorithm: SYMMETRIC };
      },
      GenerateDataKey: (body, request) => {
        const { plaintext, ciphertextBlob, keyArn } = kms.generateDataKey(
          requiredString(body, "KeyId"),
          dataKeyBytes(body),
          encryptionContext(body),
          callerOf(request),
        );
        return {
          CiphertextBlob: ciphertextBlob.toString("base64"),
          Plaintext: plaintext.toString("base64"),
          KeyId: keyArn,
        };
      },
      DescribeKey: (body, request) => ({
        KeyMetadata: kms.describeKey(requiredString(body, "KeyId"), callerOf(request)),
      }),
    },
  };
}

/** The access key id of the SigV4 `Authorization: AWS4-HMAC-SHA256 Credential=<id>/<date>/…` header. */
function callerOf(request: IncomingMessage): KmsCaller {
  const authorization = request.headers.authorization;
  const accessKeyId =
    typeof authorization === "string" ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1] : undefined;
  return accessKeyId ? { accessKeyId, headers: request.headers } : { headers: request.headers };
}

function requiredString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value === "")
    throw new ValidationException(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint`,
    );
  return value;
}

function requiredBlob(body: Body, field: string): Buffer {
  const value = requiredString(body, field);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value))
    throw new ValidationException(`1 validation error detected: Value at '${field}' is not valid base64`);
  return Buffer.from(value, "base64");
}

function encryptionContext(body: Body): EncryptionContext {
  const value = body.EncryptionContext;
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new ValidationException("EncryptionContext must be a map of strings to strings");
  for (const item of Object.values(value))
    if (typeof item !== "string") throw new ValidationException("EncryptionContext values must be strings");
  return value as EncryptionContext;
}

function symmetricAlgorithm(body: Body): void {
  if (body.EncryptionAlgorithm !== undefined && body.EncryptionAlgorithm !== SYMMETRIC)
    throw new ValidationException(
      `EncryptionAlgorithm ${String(body.EncryptionAlgorithm)} needs an asymmetric key`,
    );
}

/** KeySpec or NumberOfBytes, exactly one of them, as KMS requires. */
function dataKeyBytes(body: Body): number {
  const { KeySpec: keySpec, NumberOfBytes: numberOfBytes } = body;
  if ((keySpec === undefined) === (numberOfBytes === undefined))
    throw new ValidationException("Please specify either number of bytes or key spec.");
  if (keySpec !== undefined) {
    const bytes = typeof keySpec === "string" ? KEY_SPEC_BYTES[keySpec] : undefined;
    if (bytes === undefined)
      throw new ValidationException(`KeySpec ${String(keySpec)} is not AES_256 or AES_128`);
    return bytes;
  }
  if (
    typeof numberOfBytes !== "number" ||
    !Number.isInteger(numberOfBytes) ||
    numberOfBytes < 1 ||
    numberOfBytes > 1024
  )
    throw new ValidationException("NumberOfBytes must be an integer between 1 and 1024");
  return numberOfBytes;
}
