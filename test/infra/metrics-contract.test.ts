// The alarms read what the runtime writes: each custom-metric alarm's namespace, name and exact dimension set
// must be one of the metric streams the emitters produce (a missing or extra dimension reads nothing).
import { Metrics } from "@aws-lambda-powertools/metrics";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { OUTBOX_ENTRY_ATTRIBUTE, outboxKey } from "../../contracts/domain-event-outbox.js";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../contracts/metric-names.js";
import { buildDomainEvent } from "../../functions/domain-events/domain-events.js";
import { eventMaskedKey } from "../../functions/domain-events/event-fields.js";
import { outboxEntry } from "../../functions/domain-events/outbox-message.js";
import { recordPortalCall } from "../../functions/portal/portal-call-metrics.js";
import { recordReconciliationFindings } from "../../functions/reconciliation/reconciliation-metrics.js";
import { OperationsAlarms } from "../../lib/operations-alarms.js";
import { captureProcessOutput } from "../support/captured-output.js";
import { emittedMetrics } from "../support/emf-records.js";
import { FakeAwsJsonEndpoint } from "../support/fake-aws-json-endpoint.js";

const output = captureProcessOutput();

function streamKey(namespace: string, name: string, dimensions: Record<string, string>): string {
  const sorted = Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b));
  return `${namespace}/${name}/${sorted.map(([k, v]) => `${k}=${v}`).join(",")}`;
}

/** Streams read by the alarms on this project's namespace. */
function alarmedCustomStreams(): Map<string, string> {
  const app = new App();
  const stack = new Stack(app, "Contract");
  new OperationsAlarms(stack, "Ops", { encryptionKey: new kms.Key(stack, "Key") });
  const alarms = Template.fromStack(stack).findResources("AWS::CloudWatch::Alarm");
  const streams = new Map<string, string>();
  for (const [id, alarm] of Object.entries(alarms)) {
    const { Namespace, MetricName, Dimensions } = alarm.Properties as {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: { Name: string; Value: string }[];
    };
    if (Namespace !== METRICS_NAMESPACE) continue;
    const dimensions = Object.fromEntries((Dimensions ?? []).map(({ Name, Value }) => [Name, Value]));
    streams.set(streamKey(Namespace, MetricName!, dimensions), id);
  }
  return streams;
}

/** The outbox delivery (the only publisher) handed one stream record whose entry EventBridge refuses. */
async function outboxDeliveryRefused(): Promise<void> {
  const endpoint = await new FakeAwsJsonEndpoint().start();
  endpoint.putEventsEntryError = { ErrorCode: "InternalFailure", ErrorMessage: "down" };
  const saved = { ...process.env };
  Object.assign(process.env, {
    EVENT_BUS_NAME: "practice-events",
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint.url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });
  try {
    const { handler } = await import("../../functions/domain-events/outbox-stream-handler.js");
    const event = buildDomainEvent({
      type: "PracticeOffboarded",
      executionName: "ops-1",
      practiceId: "p-1",
      devRefId: "P 1",
      maskedKey: eventMaskedKey("…W2HD #3f9a1c"),
    });
    const key = outboxKey(event.detail.eventId);
    const record = {
      eventName: "INSERT",
      dynamodb: {
        SequenceNumber: "1",
        Keys: { pk: { S: key.pk! }, sk: { S: key.sk! } },
        NewImage: { [OUTBOX_ENTRY_ATTRIBUTE]: { S: JSON.stringify(outboxEntry(event)) } },
      },
    };
    const result = await handler({ Records: [record] } as DynamoDBStreamEvent);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "1" }]);
  } finally {
    process.env = saved;
    await endpoint.stop();
  }
}

describe("metric names contract", () => {
  it("every alarm on a custom metric reads a stream the emitters write", async () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    const call = { method: "PUT", path: "/apikeys", durationMs: 50, attempt: 2 };
    recordPortalCall(metrics, { ...call, status: 401, outcome: "PortalUnauthorized" });
    recordPortalCall(metrics, { ...call, status: 429, outcome: "PortalThrottled" });
    recordReconciliationFindings(metrics, { findingsByCategory: { STUCK: 1 }, needingAttention: 1 });
    await outboxDeliveryRefused();
    // The webhook handler's metrics are asserted in test/integration/webhook/crm-webhook-handler.test.ts; its streams:
    const webhookStreams = [
      streamKey(METRICS_NAMESPACE, "Webhook5xx", { service: SERVICE_NAME }),
      streamKey(METRICS_NAMESPACE, "WebhookRejected", { service: SERVICE_NAME, reason: "InvalidSignature" }),
    ];

    const written = new Set([
      ...emittedMetrics(output.records()).map((metric) =>
        streamKey(metric.namespace, metric.name, metric.dimensions),
      ),
      ...webhookStreams,
    ]);
    const alarmed = alarmedCustomStreams();
    const unread = [...alarmed].filter(([stream]) => !written.has(stream));

    expect([...alarmed.values()].length).toBe(7);
    expect(unread).toEqual([]);
  });
});
