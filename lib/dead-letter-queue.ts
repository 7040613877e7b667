// The one kind of dead-letter queue in the stack: encrypted with the stack's key, TLS only, 14 days, retained —
// with the finding its being a dead-letter queue raises acknowledged on it alone (an alarm watches its depth).
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

/** Creates `DeadLetterQueue` in `scope`; `owner` names what sends to it, for the acknowledgment's reason. */
export function deadLetterQueue(scope: Construct, encryptionKey: kms.IKey, owner: string): sqs.Queue {
  const queue = new sqs.Queue(scope, "DeadLetterQueue", {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: encryptionKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(queue).acknowledge({
    id: "AwsSolutions::AwsSolutions-SQS3",
    reason: `This queue is ${owner}'s dead-letter queue; an alarm on its depth is the last line.`,
  });
  return queue;
}
