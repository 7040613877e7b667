import { RemovalPolicy } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

export interface EncryptionKeyProps {
  /** Alias for the key, without the `alias/` prefix. @default "practice-onboarding" */
  readonly alias?: string;
}

/** The one customer-managed KMS key (rotation on, retained) for the table, secrets, logs, queues and executions. */
export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, "Key", {
      alias: props.alias ?? "practice-onboarding",
      description: "Encrypts practice onboarding data: CustomerKeys, portal credentials, logs and executions",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
