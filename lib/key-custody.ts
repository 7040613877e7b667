import { RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { KEY_CUSTODY_ENV, KEY_ENCRYPTION_PURPOSE } from "../contracts/key-custody.js";
import { keys } from "../contracts/table-schema.js";
import type { HandlerFunction } from "./handler-function.js";

export interface KeyCustodyProps {
  /** The stack's general key: it encrypts the fingerprint secret like every other secret. */
  readonly encryptionKey: kms.IKey;
}

/**
 * Custody of the CustomerKeys (docs/architecture.md §4): a CMK of their own, so who may decrypt a key is decided
 * by grants on this key alone (the table's key opens the table, not the keys in it), and the secret the keyed
 * fingerprints are made with. Each function gets exactly what it does with a key:
 * - `grantFingerprint`: read the fingerprint secret (ledger and seen-set addresses, masked forms);
 * - `grantEncrypt`: kms:Encrypt, for the functions that write a new key;
 * - `grantDecrypt`: kms:Decrypt, only for the functions that send a key to the portal.
 * Both KMS grants are conditioned on the encryption context's `purpose`, so the key encrypts nothing else.
 */
export class KeyCustody extends Construct {
  readonly key: kms.Key;
  readonly fingerprintSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: KeyCustodyProps) {
    super(scope, id);
    this.key = new kms.Key(this, "Key", {
      alias: "practice-onboarding/customer-keys",
      description: "Encrypts the Open Dental CustomerKeys stored in the practice table, and nothing else",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.fingerprintSecret = new secretsmanager.Secret(this, "FingerprintSecret", {
      secretName: "practice-onboarding/key-fingerprint",
      description:
        "HMAC secret of the CustomerKey fingerprints that address the key ledger; never rotated in place (ops migrate-keys)",
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const reason =
      "Every ledger address is an HMAC under this secret: rotating it in place would orphan them all, so a new secret is introduced by re-addressing the table (ops migrate-keys).";
    Validations.of(this.fingerprintSecret).acknowledge({ id: "AwsSolutions::AwsSolutions-SMG4", reason });
    Validations.of(this.fingerprintSecret).acknowledge({
      id: "HIPAA.Security::HIPAA.Security-SecretsManagerRotationEnabled",
      reason,
    });
  }

  /** secretsmanager:GetSecretValue on the fingerprint secret (and its key, through Secrets Manager only). */
  grantFingerprint(handler: HandlerFunction): void {
    const fn = handler.function;
    fn.addEnvironment(KEY_CUSTODY_ENV.fingerprintSecret, this.fingerprintSecret.secretArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: [this.fingerprintSecret.secretArn],
      }),
    );
    this.fingerprintSecret.encryptionKey?.grantDecrypt(
      new iam.PrincipalWithConditions(fn.grantPrincipal, {
        StringEquals: { "kms:ViaService": `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
      }),
    );
  }

  /** kms:Encrypt on the custody key, for customer-key ciphertexts only. */
  grantEncrypt(handler: HandlerFunction): void {
    this.grantKeyAction(handler, "kms:Encrypt");
  }

  /** kms:Decrypt on the custody key, for customer-key ciphertexts only: the functions that call the portal with it. */
  grantDecrypt(handler: HandlerFunction): void {
    this.grantKeyAction(handler, "kms:Decrypt");
  }

  /**
   * The statement that lets a person's policy encrypt keys for the table (`ops import`, a key administrator's
   * act): kms:Encrypt on the custody key, customer-key ciphertexts only. Never Decrypt: no person's policy opens a
   * stored key (docs/architecture.md §4 invariant 13).
   */
  encryptStatement(sid: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid,
      actions: ["kms:Encrypt"],
      resources: [this.key.keyArn],
      conditions: { StringEquals: { "kms:EncryptionContext:purpose": KEY_ENCRYPTION_PURPOSE } },
    });
  }

  /**
   * The vendor's integration that calls a practice's Open Dental API (docs/events.md "How a consumer gets the
   * key"): it reads the practice record (dynamodb:GetItem, practice items only) and opens its `customerKey` with
   * kms:Decrypt under the encryption context `{practiceId, purpose}`. Same account: both go in the principal's
   * policy (the custody key's policy delegates to IAM, as every CDK key's does). Another account: CDK adds the
   * Decrypt statement to the custody key's policy instead, and the table must be shared with it separately.
   */
  grantConsumer(principal: iam.IGrantable, table: dynamodb.ITable): void {
    iam.Grant.addToPrincipal({
      grantee: principal,
      actions: ["dynamodb:GetItem"],
      resourceArns: [table.tableArn],
      conditions: {
        "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [keys.practice("*").pk] },
      },
    });
    // The table is encrypted with the stack's key: DynamoDB decrypts items on the reader's behalf.
    table.encryptionKey?.grantDecrypt(
      new iam.PrincipalWithConditions(principal.grantPrincipal, {
        StringEquals: { "kms:ViaService": `dynamodb.${Stack.of(this).region}.amazonaws.com` },
      }),
    );
    this.key.grantDecrypt(
      new iam.PrincipalWithConditions(principal.grantPrincipal, {
        StringEquals: { "kms:EncryptionContext:purpose": KEY_ENCRYPTION_PURPOSE },
      }),
    );
  }

  private grantKeyAction(handler: HandlerFunction, action: "kms:Encrypt" | "kms:Decrypt"): void {
    const fn = handler.function;
    fn.addEnvironment(KEY_CUSTODY_ENV.keyArn, this.key.keyArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [action],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { "kms:EncryptionContext:purpose": KEY_ENCRYPTION_PURPOSE } },
      }),
    );
  }
}
