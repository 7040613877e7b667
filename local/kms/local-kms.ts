// A local KMS holding the synthesized templates' `AWS::KMS::Key`s and `AWS::KMS::Alias`es, for the calls the
// AWS Encryption SDK and our key cipher make: Encrypt, Decrypt, GenerateDataKey, DescribeKey. Encryption is
// real (AES-256-GCM under a per-key master secret, persisted under the data dir so ciphertexts outlive a
// restart), and the encryption context is bound exactly as KMS binds it: Decrypt with any other context fails
// with InvalidCiphertextException. https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import * as path from "node:path";
import { ValidationException } from "../aws-service-errors.js";
import type { SynthesizedStack } from "../cloudformation-template.js";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../fake-aws.js";
import { TemplateResolver } from "../template-resolver.js";
import { blobKeyId, type EncryptionContext, openBlob, sealBlob } from "./kms-ciphertext-blob.js";
import {
  AccessDeniedException,
  DisabledException,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  NotFoundException,
} from "./kms-errors.js";

/** The ARN the template resolver gives `Fn::GetAtt [Key, Arn]`, so functions' environment names the same key. */
export function kmsKeyArn(keyId: string): string {
  return `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:key/${keyId}`;
}

export function kmsAliasArn(aliasName: string): string {
  return `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${aliasName}`;
}

/** What a policy decides on: the shape of an IAM request context (action, resource, caller, condition keys). */
export interface KmsAuthorizationRequest {
  /** e.g. `kms:Decrypt`. */
  readonly action: string;
  /** The key's ARN. */
  readonly resource: string;
  /** The SigV4 access key id the caller signed with, when the request came over HTTP. */
  readonly accessKeyId?: string;
  /** The HTTP request's headers: the local stack tells an in-process function's requests by them. */
  readonly headers?: IncomingHttpHeaders;
  /** `kms:EncryptionContext:<name>`, `kms:EncryptionContextKeys`, `kms:CallerAccount`. */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * Decides whether a request is allowed; the local stack's IAM evaluator plugs in here. `true` allows; `false` or
 * the refusal's message (AWS's `User: … is not authorized …`) refuses with AccessDeniedException.
 */
export type KmsAuthorizer = (request: KmsAuthorizationRequest) => boolean | string;

export interface LocalKmsOptions {
  /** Where master secrets are kept (`<dataDir>/kms/`); without it they live in memory for this process only. */
  readonly dataDir?: string;
  /** @default every request allowed */
  readonly authorize?: KmsAuthorizer;
}

interface LocalKey {
  readonly id: string;
  readonly arn: string;
  readonly description?: string;
  readonly enabled: boolean;
  readonly keySpec: string;
  readonly keyUsage: string;
  readonly createdDate: Date;
  secret?: Buffer;
}

export interface KeyMetadata {
  readonly AWSAccountId: string;
  readonly KeyId: string;
  readonly Arn: string;
  readonly CreationDate: Date;
  readonly Enabled: boolean;
  readonly Description: string;
  readonly KeyUsage: string;
  readonly KeyState: "Enabled" | "Disabled";
  readonly Origin: "AWS_KMS";
  readonly KeyManager: "CUSTOMER";
  readonly KeySpec: string;
  readonly CustomerMasterKeySpec: string;
  readonly EncryptionAlgorithms: string[];
  readonly MultiRegion: false;
}

/** Who is asking, as the HTTP layer knows it. */
export interface KmsCaller {
  readonly accessKeyId?: string;
  readonly headers?: IncomingHttpHeaders;
}

const SYMMETRIC = "SYMMETRIC_DEFAULT";
const MAX_PLAINTEXT_BYTES = 4096;

export class LocalKms {
  private readonly keys = new Map<string, LocalKey>();
  private readonly aliases = new Map<string, string>();

  constructor(private readonly options: LocalKmsOptions = {}) {}

  /** A KMS holding every key and alias of the templates, under the ids and ARNs their `Ref`/`GetAtt` resolve to. */
  static fromTemplates(stacks: readonly SynthesizedStack[], options: LocalKmsOptions = {}): LocalKms {
    const kms = new LocalKms(options);
    for (const stack of stacks) {
      const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName });
      const resources = Object.entries(stack.template.Resources ?? {});
      for (const [logicalId, resource] of resources) {
        if (resource.Type !== "AWS::KMS::Key") continue;
        const properties = resource.Properties ?? {};
        const description = resolver.resolve(properties.Description, `${logicalId}.Description`);
        kms.defineKey(resolver.physicalName(logicalId), {
          ...(typeof description === "string" ? { description } : {}),
          enabled: properties.Enabled !== false,
          keySpec: typeof properties.KeySpec === "string" ? properties.KeySpec : SYMMETRIC,
          keyUsage: typeof properties.KeyUsage === "string" ? properties.KeyUsage : "ENCRYPT_DECRYPT",
        });
      }
      for (const [logicalId, resource] of resources) {
        if (resource.Type !== "AWS::KMS::Alias") continue;
        const where = `${logicalId}.Properties`;
        kms.defineAlias(
          resolver.resolveString(resource.Properties?.AliasName, `${where}.AliasName`),
          resolver.resolveString(resource.Properties?.TargetKeyId, `${where}.TargetKeyId`),
        );
      }
    }
    return kms;
  }

  /** Declares a key; its master secret is loaded from the data dir or created on first use. */
  defineKey(
    id: string,
    options: { description?: string; enabled?: boolean; keySpec?: string; keyUsage?: string } = {},
  ): string {
    if (!this.keys.has(id))
      this.keys.set(id, {
        id,
        arn: kmsKeyArn(id),
        ...(options.description ? { description: options.description } : {}),
        enabled: options.enabled ?? true,
        keySpec: options.keySpec ?? SYMMETRIC,
        keyUsage: options.keyUsage ?? "ENCRYPT_DECRYPT",
        createdDate: new Date(),
      });
    return kmsKeyArn(id);
  }

  /** `aliasName` is `alias/…`; the target is a key id or key ARN. */
  defineAlias(aliasName: string, targetKeyId: string): void {
    if (!aliasName.startsWith("alias/"))
      throw new Error(`KMS alias names start with "alias/": ${JSON.stringify(aliasName)}`);
    this.aliases.set(aliasName, this.find(targetKeyId).id);
  }

  encrypt(
    keyId: string,
    plaintext: Buffer,
    context: EncryptionContext = {},
    caller: KmsCaller = {},
  ): { ciphertextBlob: Buffer; keyArn: string } {
    const key = this.usableKey(keyId, "kms:Encrypt", context, caller);
    if (plaintext.length < 1 || plaintext.length > MAX_PLAINTEXT_BYTES)
      throw new ValidationException(
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096",
      );
    return { ciphertextBlob: sealBlob(this.keyMaterial(key), plaintext, context), keyArn: key.arn };
  }

  /** Like KMS: the blob names its key; a KeyId, when given, must be that key (else IncorrectKeyException). */
  decrypt(
    ciphertextBlob: Buffer,
    context: EncryptionContext = {},
    expectedKeyId?: string,
    caller: KmsCaller = {},
  ): { plaintext: Buffer; keyArn: string } {
    const blobKey = blobKeyId(ciphertextBlob);
    const key = blobKey === undefined ? undefined : this.keys.get(blobKey);
    if (!key) throw new InvalidCiphertextException("The ciphertext is not a ciphertext of this KMS.");
    if (expectedKeyId !== undefined && this.find(expectedKeyId).id !== key.id)
      throw new IncorrectKeyException(
        "The key ID in the request does not identify a KMS key that can perform this operation.",
      );
    this.usableKey(key.id, "kms:Decrypt", context, caller);
    const plaintext = openBlob(this.keyMaterial(key), ciphertextBlob, context);
    if (!plaintext)
      throw new InvalidCiphertextException("The ciphertext or its encryption context is invalid.");
    return { plaintext, keyArn: key.arn };
  }

  /** A fresh data key and its encryption under `keyId`. */
  generateDataKey(
    keyId: string,
    numberOfBytes: number,
    context: EncryptionContext = {},
    caller: KmsCaller = {},
  ): { plaintext: Buffer; ciphertextBlob: Buffer; keyArn: string } {
    const key = this.usableKey(keyId, "kms:GenerateDataKey", context, caller);
    const plaintext = randomBytes(numberOfBytes);
    return {
      plaintext,
      ciphertextBlob: sealBlob(this.keyMaterial(key), plaintext, context),
      keyArn: key.arn,
    };
  }

  describeKey(keyId: string, caller: KmsCaller = {}): KeyMetadata {
    const key = this.find(keyId);
    this.authorize("kms:DescribeKey", key, {}, caller);
    return {
      AWSAccountId: LOCAL_ACCOUNT_ID,
      KeyId: key.id,
      Arn: key.arn,
      CreationDate: key.createdDate,
      Enabled: key.enabled,
      Description: key.description ?? "",
      KeyUsage: key.keyUsage,
      KeyState: key.enabled ? "Enabled" : "Disabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      KeySpec: key.keySpec,
      CustomerMasterKeySpec: key.keySpec,
      EncryptionAlgorithms: key.keySpec === SYMMETRIC ? [SYMMETRIC] : [],
      MultiRegion: false,
    };
  }

  private usableKey(keyId: string, action: string, context: EncryptionContext, caller: KmsCaller): LocalKey {
    const key = this.find(keyId);
    this.authorize(action, key, context, caller);
    if (!key.enabled) throw new DisabledException(`${key.arn} is disabled.`);
    if (key.keySpec !== SYMMETRIC || key.keyUsage !== "ENCRYPT_DECRYPT")
      throw new InvalidKeyUsageException(`${key.arn} key usage is ${key.keyUsage} (${key.keySpec}).`);
    return key;
  }

  private authorize(action: string, key: LocalKey, context: EncryptionContext, caller: KmsCaller): void {
    if (!this.options.authorize) return;
    const request: KmsAuthorizationRequest = {
      action,
      resource: key.arn,
      ...(caller.accessKeyId ? { accessKeyId: caller.accessKeyId } : {}),
      ...(caller.headers ? { headers: caller.headers } : {}),
      context: {
        "kms:CallerAccount": LOCAL_ACCOUNT_ID,
        "kms:EncryptionContextKeys": Object.keys(context),
        ...Object.fromEntries(
          Object.entries(context).map(([name, value]) => [`kms:EncryptionContext:${name}`, value]),
        ),
      },
    };
    const decision = this.options.authorize(request);
    if (typeof decision === "string") throw new AccessDeniedException(decision);
    if (!decision)
      throw new AccessDeniedException(
        `User: ${caller.accessKeyId ?? "(unsigned)"} is not authorized to perform: ${action} on resource: ${key.arn} because no identity-based policy allows the ${action} action`,
      );
  }

  /** By key id, key ARN, alias name (`alias/…`) or alias ARN, as KMS's KeyId parameter accepts them. */
  private find(keyId: string): LocalKey {
    const aliasName = keyId.startsWith("alias/")
      ? keyId
      : /^arn:aws:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(keyId)?.[1];
    const id = aliasName
      ? this.aliases.get(aliasName)
      : (/^arn:aws:kms:[^:]*:[^:]*:key\/(.+)$/.exec(keyId)?.[1] ?? keyId);
    const key = id === undefined ? undefined : this.keys.get(id);
    if (!key || (keyId.startsWith("arn:") && !keyId.includes(`:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:`)))
      throw new NotFoundException(`Invalid keyId '${keyId}'`);
    return key;
  }

  /** The key's master secret: from `<dataDir>/kms/<id>.key` when there is one, else made (and saved) now. */
  private keyMaterial(key: LocalKey): { id: string; arn: string; secret: Buffer } {
    if (!key.secret) {
      const file = this.options.dataDir
        ? path.join(this.options.dataDir, "kms", `${encodeURIComponent(key.id)}.key`)
        : undefined;
      if (file && existsSync(file)) {
        key.secret = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
      } else {
        key.secret = randomBytes(32);
        if (file) {
          mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
          writeFileSync(file, `${key.secret.toString("base64")}\n`, { mode: 0o600 });
          chmodSync(file, 0o600);
        }
      }
      if (key.secret.length !== 32) throw new Error(`local KMS master secret for ${key.id} is not 32 bytes`);
    }
    return { id: key.id, arn: key.arn, secret: key.secret };
  }
}
