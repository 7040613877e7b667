// The alarms read what the runtime writes: each custom-metric alarm's namespace, name and exact dimension set
// must be one of the metric streams the emitters produce (a missing or extra dimension reads nothing).
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import { describe, expect, it } from "vitest";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../contracts/metric-names.js";
import {
  createDomainEventPublisher,
  type DomainEventSink,
} from "../../functions/domain-events/domain-events.js";
import { eventMaskedKey } from "../../functions/domain-events/event-fields.js";
import { DomainEventPublishFailed } from "../../functions/platform/errors.js";
import { recordPortalCall } from "../../functions/portal/portal-call-metrics.js";
import { recordReconciliationFindings } from "../../functions/reconciliation/reconciliation-metrics.js";
import { OperationsAlarms } from "../../lib/operations-alarms.js";
import { captureProcessOutput } from "../support/captured-output.js";
import { emittedMetrics } from "../support/emf-records.js";

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

describe("metric names contract", () => {
  it("every alarm on a custom metric reads a stream the emitters write", async () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    const call = { method: "PUT", path: "/apikeys", durationMs: 50, attempt: 2 };
    recordPortalCall(metrics, { ...call, status: 401, outcome: "PortalUnauthorized" });
    recordPortalCall(metrics, { ...call, status: 429, outcome: "PortalThrottled" });
    recordReconciliationFindings(metrics, { findingsByCategory: { STUCK: 1 }, needingAttention: 1 });
    const brokenSink: DomainEventSink = {
      description: "broken",
      put: async () => {
        throw new DomainEventPublishFailed("down");
      },
    };
    const publish = createDomainEventPublisher({
      sink: brokenSink,
      logger: new Logger({ logLevel: "SILENT" }),
      metrics,
    });
    await publish({
      type: "PracticeOffboarded",
      executionName: "ops-1",
      practiceId: "p-1",
      devRefId: "P 1",
      maskedKey: eventMaskedKey("…W2HD #3f9a1c"),
    }).catch(() => undefined);
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
