import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { EncryptionKey } from "./encryption-key.js";
import { PortalSecrets } from "./portal-secrets.js";
import { PracticeTable } from "./practice-table.js";

export interface PracticeOnboardingStackProps extends StackProps {
  /** Existing portal-credentials secret name (context `portalSecretName`). @default a new secret */
  readonly portalCredentialsSecretName?: string;
  /** Existing webhook-signing secret name (context `webhookSecretName`). @default a new secret */
  readonly webhookSecretName?: string;
}

/** Wires the constructs together; each concern lives in its own construct file. */
export class PracticeOnboardingStack extends Stack {
  readonly practiceTable: PracticeTable;
  readonly secrets: PortalSecrets;

  constructor(scope: Construct, id: string, props: PracticeOnboardingStackProps = {}) {
    super(scope, id, props);
    const { key } = new EncryptionKey(this, "Encryption");
    this.practiceTable = new PracticeTable(this, "Practices", { encryptionKey: key });
    this.secrets = new PortalSecrets(this, "Secrets", {
      encryptionKey: key,
      portalCredentialsSecretName: props.portalCredentialsSecretName,
      webhookSecretName: props.webhookSecretName,
    });

    new CfnOutput(this, "TableName", { value: this.practiceTable.table.tableName });
    new CfnOutput(this, "PortalSecretArn", { value: this.secrets.portalCredentials.secretArn });
    new CfnOutput(this, "WebhookSecretArn", { value: this.secrets.webhookSigning.secretArn });
  }
}
