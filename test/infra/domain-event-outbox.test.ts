// The synthesized outbox delivery: the table's stream, the event source mapping (only outbox items, partial batch
// responses, bisection, bounded retries, a dead-letter queue), the delivery function's exact grants, the alarm.
import { describe, expect, it } from "vitest";
import { ALARM_RUNBOOK_ANCHORS } from "../../lib/operations-alarms.js";
import {
  arnOf,
  functionLogicalId,
  functionRole,
  logicalIdOf,
  roleStatements,
  templateResources,
} from "../support/synthesized-workflow.js";

const ENTRY = "functions/domain-events/outbox-stream-handler.ts";

const ids = () => ({
  fn: functionLogicalId(ENTRY),
  table: logicalIdOf("AWS::DynamoDB::Table", "Practices"),
  queue: logicalIdOf("AWS::SQS::Queue", "Outbox"),
  bus: logicalIdOf("AWS::Events::EventBus", "Events"),
  key: logicalIdOf("AWS::KMS::Key", "Encryption"),
});
const resourcesOfType = (type: string) =>
  Object.entries(templateResources()).filter(([, resource]) => resource.Type === type);

describe("DomainEventOutbox", () => {
  it("streams the table's new images (the outbox items' entries)", () => {
    const { table } = ids();
    expect(templateResources()[table]!.Properties!.StreamSpecification).toEqual({
      StreamViewType: "NEW_IMAGE",
    });
  });

  it("hands only outbox items to the delivery, retrying from the first undelivered one, then the dead-letter queue", () => {
    const { fn, table, queue } = ids();
    const mappings = resourcesOfType("AWS::Lambda::EventSourceMapping");
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties).toEqual({
      FunctionName: { Ref: fn },
      EventSourceArn: { "Fn::GetAtt": [table, "StreamArn"] },
      StartingPosition: "TRIM_HORIZON",
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 43_200,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      DestinationConfig: { OnFailure: { Destination: arnOf(queue) } },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ["INSERT", "MODIFY"],
              dynamodb: { Keys: { pk: { S: [{ prefix: "OUTBOX#" }] } } },
            }),
          },
        ],
      },
    });
  });

  it("lets the delivery read the stream, put events on the bus and send dead letters, nothing else", () => {
    const { fn, table, queue, bus, key } = ids();
    const { roleId } = functionRole(ENTRY);
    const statements = roleStatements(roleId);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "events:PutEvents",
        // The stream of the table encrypted with the stack's key (grantStreamRead), then the dead-letter queue's.
        "kms:Decrypt",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ].sort(),
    );
    expect(statements).toContainEqual({ Action: "events:PutEvents", Effect: "Allow", Resource: arnOf(bus) });
    const streamRead = statements.find((s) => [s.Action].flat().includes("dynamodb:GetRecords"));
    expect(streamRead?.Resource).toEqual({ "Fn::GetAtt": [table, "StreamArn"] });
    for (const s of statements) {
      const first = [s.Action].flat()[0]!;
      if (first.startsWith("kms:")) expect(s.Resource).toEqual(arnOf(key));
      if (first.startsWith("sqs:")) expect(s.Resource).toEqual(arnOf(queue));
    }
    expect(JSON.stringify(templateResources()[fn]!.Properties!.Environment)).toContain("EVENT_BUS_NAME");
  });

  it("alarms on any dead-lettered batch, linking the runbook", () => {
    const { queue } = ids();
    const alarms = resourcesOfType("AWS::CloudWatch::Alarm").filter(([, alarm]) =>
      JSON.stringify(alarm.Properties).includes(ALARM_RUNBOOK_ANCHORS.outboxDeadLetters),
    );
    expect(alarms).toHaveLength(1);
    const properties = alarms[0]![1].Properties!;
    expect(properties).toMatchObject({
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
    });
  });
});
