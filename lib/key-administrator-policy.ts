import { Stack } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { OUTBOX_PK_PREFIX } from "../contracts/domain-event-outbox.js";
import { keys } from "../contracts/table-schema.js";

export interface KeyAdministratorPolicyProps {
  /** The Open Dental Developer Portal credentials: whoever reads them can list every full CustomerKey. */
  readonly portalSecret: secretsmanager.ISecret;
  /** The HMAC secret of the key fingerprints: `ops import` and `ops migrate-keys` address the ledger with it. */
  readonly fingerprintSecret: secretsmanager.ISecret;
  /** The practice table: `ops import` writes practices, key ledger entries and audit entries into it. */
  readonly table: dynamodb.ITable;
  /** The customer-managed key the portal secret is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/** Statement ids, so docs/ops-cli.md, tests and reviewers can name each permission. */
export const KEY_ADMINISTRATOR_POLICY_SIDS = {
  readPortalSecret: "ReadThePortalCredentials",
  readFingerprintSecret: "ReadTheKeyFingerprintSecret",
  portalSecretKey: "PortalCredentialsThroughSecretsManager",
  portalRateBudget: "SpendThePortalRateBudget",
  importKeys: "ImportPortalKeysIntoThePracticeTable",
  issueActivationLinks: "IssueAndRevokeActivationLinks",
  announceActivationLinks: "AnnounceIssuedActivationLinks",
  decideCandidates: "AdoptOrReleaseLostPostCandidates",
  /** Added by the stack from lib/key-custody.ts: `ops import` / `ops migrate-keys` store keys encrypted. */
  encryptKeys: "EncryptCustomerKeysForTheTable",
} as const;

/** Partition keys of the items each table statement may touch (`dynamodb:LeadingKeys`), from the table schema. */
const RATE_LIMITER_PARTITION = keys.portalRateLimiter().pk;
const IMPORTED_PARTITIONS = [keys.practice("*").pk, keys.ledgerEntry("*").pk];
const ACTIVATION_PARTITIONS = [keys.activationLink("*").pk];
const OUTBOX_PARTITIONS = [`${OUTBOX_PK_PREFIX}*`];

/**
 * The managed policy for the few people who adopt portal keys (`ops import`) and look at a key's live state in the
 * portal (`ops status`'s live view): the portal credentials, the portal's shared rate budget and the practice table
 * writes an import makes. Attach it together with the operator policy (lib/operator-policy.ts), which it extends:
 * it grants no table reads and no workflow of its own.
 *
 * The portal credentials list every full CustomerKey, which is why this is not in the operator policy.
 */
export class KeyAdministratorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: KeyAdministratorPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const secretArn = props.portalSecret.secretArn;
    this.policy = new iam.ManagedPolicy(this, "Policy", {
      description:
        "Key administrators of practice onboarding (ops import, ops status's live view): with the operator policy",
      statements: [
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.readPortalSecret,
          actions: ["secretsmanager:GetSecretValue"],
          resources: [secretArn],
        }),
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.readFingerprintSecret,
          actions: ["secretsmanager:GetSecretValue"],
          resources: [props.fingerprintSecret.secretArn],
        }),
        // Secrets Manager decrypts the values with the caller's permissions, in each secret's encryption context.
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.portalSecretKey,
          actions: ["kms:Decrypt"],
          resources: [props.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              "kms:ViaService": `secretsmanager.${stack.region}.amazonaws.com`,
              "kms:EncryptionContext:SecretARN": [secretArn, props.fingerprintSecret.secretArn],
            },
          },
        }),
        // Every portal request waits for its slot in the account-wide budget the workflows share (one item).
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.portalRateBudget,
          actions: ["dynamodb:UpdateItem"],
          resources: [props.table.tableArn],
          conditions: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [RATE_LIMITER_PARTITION] } },
        }),
        // One transaction per adopted key: the practice record and its audit entry, and the key → practice item.
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.importKeys,
          actions: ["dynamodb:PutItem"],
          resources: [props.table.tableArn],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": IMPORTED_PARTITIONS } },
        }),
        // `ops adopt-key` / `ops release-key`: one transaction puts the ledger entry or the release (KEY#…), the
        // audit entry and the adopted create attempt (PRACTICE#…) — PutItem above — and checks that the other of
        // ledger entry and release is absent.
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.decideCandidates,
          actions: ["dynamodb:ConditionCheckItem"],
          resources: [props.table.tableArn],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [keys.ledgerEntry("*").pk] } },
        }),
        // `ops activation-link`: a link opens the full key to whoever holds it, so issuing one is a key
        // administrator's act. One transaction puts the link, revokes the previous one (both ACTIVATION#…) and
        // puts the practice's pointer and audit entry (PRACTICE#…, PutItem above).
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.issueActivationLinks,
          actions: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"],
          resources: [props.table.tableArn],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ACTIVATION_PARTITIONS } },
        }),
        // …and, in the same transaction, the link's PracticeActivationLinkIssued in the table's outbox (OUTBOX#…),
        // which the stream delivers to the bus: no events:PutEvents for people.
        new iam.PolicyStatement({
          sid: KEY_ADMINISTRATOR_POLICY_SIDS.announceActivationLinks,
          actions: ["dynamodb:PutItem"],
          resources: [props.table.tableArn],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": OUTBOX_PARTITIONS } },
        }),
      ],
    });
  }
}
