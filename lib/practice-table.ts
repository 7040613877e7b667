import { RemovalPolicy, Validations } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import {
  LEGACY_STATUS_INDEX,
  PK,
  SK,
  STATUS_INDEX,
  STATUS_INDEX_ATTRIBUTES,
  STATUS_INDEX_PK,
  STATUS_INDEX_SK,
  TTL_ATTRIBUTE,
} from "../contracts/table-schema.js";

export interface PracticeTableProps {
  /** Customer-managed key the table is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Keep the table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Keep the old `byStatus` index (projection ALL) beside its replacement: the first of the two deploys that
   * move a table deployed before key custody over (README "Upgrading"; DynamoDB creates or deletes one index per
   * table update). Nothing reads it. @default false
   */
  readonly keepLegacyStatusIndex?: boolean;
}

/**
 * The one table: practice records, key → practice items, the audit trail, create attempts,
 * the portal rate limiter and reconciliation reports (layout in practice-table-schema.ts).
 */
export class PracticeTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PracticeTableProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // Table (not TableV2): TableV2 cannot render a customer-managed key in a region-agnostic stack.
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: PK, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SK, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The outbox's delivery reads new items from the stream (lib/domain-event-outbox.ts).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: STATUS_INDEX,
      partitionKey: { name: STATUS_INDEX_PK, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STATUS_INDEX_SK, type: dynamodb.AttributeType.STRING },
      // Never the key, not even its ciphertext (docs/architecture.md §4 invariant 13).
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...STATUS_INDEX_ATTRIBUTES],
    });
    if (props.keepLegacyStatusIndex)
      this.table.addGlobalSecondaryIndex({
        indexName: LEGACY_STATUS_INDEX,
        partitionKey: { name: STATUS_INDEX_PK, type: dynamodb.AttributeType.STRING },
        sortKey: { name: STATUS_INDEX_SK, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    Validations.of(this.table).acknowledge({
      id: "HIPAA.Security::HIPAA.Security-DynamoDBInBackupPlan",
      reason:
        "Point-in-time recovery (35 days) and deletion protection cover this table; an AWS Backup plan is the account owner's choice.",
    });
  }

  /** Item reads and writes, no scans and no table management. */
  grantItemReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(
      grantee,
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    );
  }

  /** Item reads only. */
  grantItemRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, "dynamodb:GetItem", "dynamodb:Query");
  }
}
