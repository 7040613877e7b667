// The transactional outbox's delivery (docs/events.md "Delivery"): every outcome writes its event as an
// `OUTBOX#<eventId>` item in its own transaction; the table's stream hands those items — and only those, by the
// event source mapping's filter — to one function that puts them on the bus. A small stream-triggered function
// and not EventBridge Pipes: Pipes' DynamoDB source cannot turn the stored JSON string back into the event's
// `detail` object (its input transformer emits strings), so consumers would get a string where today they get
// an object.
import { Duration, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { OUTBOX_PK_PREFIX } from "../contracts/domain-event-outbox.js";
import { PK } from "../contracts/table-schema.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import type { DomainEventBus } from "./domain-event-bus.js";
import { HandlerFunction } from "./handler-function.js";
import type { PracticeTable } from "./practice-table.js";

/** Lambda's retries of a failing batch (with bisection) before it goes to the dead-letter queue. */
export const OUTBOX_RETRY_ATTEMPTS = 10;
/** Records older than this go to the dead-letter queue instead of being retried (the stream keeps 24 h). */
export const OUTBOX_MAX_RECORD_AGE = Duration.hours(12);

export interface DomainEventOutboxProps {
  readonly table: PracticeTable;
  readonly eventBus: DomainEventBus;
  readonly encryptionKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
}

export class DomainEventOutbox extends Construct {
  readonly delivery: HandlerFunction;
  /** Metadata of the stream batches given up on (the records themselves stay in the stream for 24 h). */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DomainEventOutboxProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, props.encryptionKey, "the domain event outbox delivery");
    this.delivery = new HandlerFunction(this, "Delivery", {
      entry: "functions/domain-events/outbox-stream-handler.ts",
      description: "Puts each outcome's outbox event from the table's stream on the domain event bus",
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    });
    const fn = this.delivery.function;
    props.eventBus.addPublisher(fn);
    fn.addEventSource(
      new DynamoEventSource(props.table.table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        // Partial batch responses: a retry starts at the first record not delivered, none before it is resent.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: OUTBOX_RETRY_ATTEMPTS,
        maxRecordAge: OUTBOX_MAX_RECORD_AGE,
        onFailure: new SqsDlq(this.deadLetterQueue),
        // Only outbox items wake the function: practice records, ledger and audit items never reach it.
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.or("INSERT", "MODIFY"),
            dynamodb: { Keys: { [PK]: { S: [{ prefix: OUTBOX_PK_PREFIX }] } } },
          }),
        ],
      }),
    );
    // What SQS needs from a sender to its KMS-encrypted queue (SqsDlq's grantSendMessages), on the stack's key.
    for (const action of ["kms:GenerateDataKey*", "kms:ReEncrypt*"]) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        reason:
          "The dead-letter queue is encrypted with the stack's key: what CDK grants a sender to it (and a stream reader of the encrypted table).",
      });
    }
  }

  /** Batches of outbox records Lambda gave up on: events not delivered, to be replayed by hand. */
  metricDeadLetters(period: Duration): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: cloudwatch.Stats.MAXIMUM,
    });
  }
}
