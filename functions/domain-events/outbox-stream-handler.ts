// The table stream's consumer (lib/domain-event-outbox.ts): puts each new outbox item on the bus. Locally the
// same module is fed by DynamoDB Local's stream (local/dynamodb-stream-poller.ts), and its PutEvents goes to
// AWS_ENDPOINT_URL_EVENTBRIDGE — no local branch here.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { EVENT_BUS_NAME_ENV } from "../../contracts/domain-event-names.js";
import { METRIC } from "../../contracts/metric-names.js";
import { ConfigurationError } from "../platform/errors.js";
import { logger, metrics } from "../platform/observability.js";
import { deliverOutboxRecords } from "./outbox-delivery.js";

let client: EventBridgeClient | undefined;

export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const eventBusName = process.env[EVENT_BUS_NAME_ENV]?.trim();
  if (!eventBusName) throw new ConfigurationError(`environment variable ${EVENT_BUS_NAME_ENV} is not set`);
  client ??= new EventBridgeClient({});
  const eventBridge = client;
  const result = await deliverOutboxRecords(event.Records, {
    eventBusName,
    putEvents: (entries) => eventBridge.send(new PutEventsCommand({ Entries: entries })),
    onFailure: ({ sequenceNumber, reason }) =>
      logger.error("Outbox event not delivered; Lambda retries from it", { sequenceNumber, reason }),
  });
  if (result.delivered > 0)
    metrics.addMetric(METRIC.domainEventPublished, MetricUnit.Count, result.delivered);
  if (result.batchItemFailures.length > 0)
    metrics.addMetric(METRIC.domainEventPublishFailed, MetricUnit.Count, result.batchItemFailures.length);
  metrics.publishStoredMetrics();
  return { batchItemFailures: result.batchItemFailures };
}
