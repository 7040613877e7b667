// Publishing a domain event directly (docs/events.md): to EventBridge, or appended to a JSON-lines file when
// LOCAL_EVENTS_FILE is set. Practice outcomes do NOT come through here — they are written to the table's outbox
// in their own transaction (outbox-message.ts, practice/outbox-writes.ts) and delivered from its stream; this is
// for events that are not a practice outcome (ReconciliationCompleted, PracticeActivationLinkIssued by ops).
//
// Failure policy: a publish that fails is logged (error), counted (DomainEventPublishFailed, alarmed) and
// thrown — DomainEventPublishFailed (retryable) when delivery failed, DomainEventInvalid (not retryable) when
// the event itself is wrong. The eventId is derived from the execution name and event type, so a retried
// publish repeats the same event and consumers drop the duplicate.
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { EVENT_BUS_NAME_ENV, LOCAL_EVENTS_FILE_ENV } from "../../contracts/domain-event-names.js";
import { DIMENSION, METRIC } from "../../contracts/metric-names.js";
import { ConfigurationError, DomainEventPublishFailed } from "../platform/errors.js";
import type { MetricsEmitter } from "../platform/metrics-emitter.js";
import { logger as sharedLogger, metrics as sharedMetrics } from "../platform/observability.js";

export * from "./domain-event.js";

import {
  buildDomainEvent,
  type DomainEvent,
  type DomainEventInput,
  describeType,
  eventBridgeEnvelope,
} from "./domain-event.js";

/** Where events go. `put` throws DomainEventPublishFailed when the event was not delivered. */
export interface DomainEventSink {
  /** For logs: `eventbridge:<bus>` or `file:<path>`. */
  readonly description: string;
  put(event: DomainEvent): Promise<void>;
}

/** PutEvents on one bus; an entry EventBridge refuses is a failure too. */
export function eventBridgeSink(client: EventBridgeClient, eventBusName: string): DomainEventSink {
  const description = `eventbridge:${eventBusName}`;
  return {
    description,
    async put(event) {
      let failure: string | undefined;
      try {
        const result = await client.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: eventBusName,
                Source: event.source,
                DetailType: event.detailType,
                Detail: JSON.stringify(event.detail),
                Time: new Date(event.detail.occurredAt),
              },
            ],
          }),
        );
        const entry = result.Entries?.[0];
        if ((result.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
          failure = `entry refused: ${entry?.ErrorCode ?? "unknown"}${entry?.ErrorMessage ? `: ${entry.ErrorMessage}` : ""}`;
        }
      } catch (error) {
        const { name, message } = error as { name?: string; message?: string };
        failure = `${name ?? "Error"}: ${message ?? String(error)}`;
      }
      if (failure) {
        throw new DomainEventPublishFailed(
          `PutEvents of ${event.detailType} ${event.detail.eventId} to ${eventBusName} failed: ${failure}`,
        );
      }
    },
  };
}

/** Appends one EventBridge-shaped JSON line per event (the local stack's `.local/events.jsonl`). */
export function jsonLinesFileSink(path: string): DomainEventSink {
  return {
    description: `file:${path}`,
    async put(event) {
      try {
        await mkdir(dirname(path), { recursive: true });
        await appendFile(path, `${JSON.stringify(eventBridgeEnvelope(event))}\n`, "utf8");
      } catch (error) {
        throw new DomainEventPublishFailed(
          `Appending ${event.detailType} ${event.detail.eventId} to ${path} failed: ${(error as Error).message}`,
        );
      }
    },
  };
}

/**
 * The sink configuration chooses: LOCAL_EVENTS_FILE when set, else EVENT_BUS_NAME.
 * @throws ConfigurationError when neither is set.
 */
export function domainEventSinkFromEnv(
  env: Record<string, string | undefined> = process.env,
  createClient: () => EventBridgeClient = () => new EventBridgeClient({}),
): DomainEventSink {
  const file = env[LOCAL_EVENTS_FILE_ENV]?.trim();
  if (file) return jsonLinesFileSink(file);
  const bus = env[EVENT_BUS_NAME_ENV]?.trim();
  if (bus) return eventBridgeSink(createClient(), bus);
  throw new ConfigurationError(
    `environment variable ${EVENT_BUS_NAME_ENV} is not set (or set ${LOCAL_EVENTS_FILE_ENV} to write events to a file)`,
  );
}

export interface DomainEventPublisherDeps {
  readonly sink: DomainEventSink;
  readonly logger: Pick<Logger, "info" | "error">;
  readonly metrics: MetricsEmitter;
  readonly now?: () => Date;
}

function countEvent(metrics: MetricsEmitter, name: string, type: string): void {
  // Two dimension sets: [service] for the alarm, [service, EventType] for the dashboard.
  metrics
    .singleMetric()
    .addDimensions({})
    .addDimensions({ [DIMENSION.eventType]: type })
    .addMetric(name, MetricUnit.Count, 1);
}

/** A publish function over the given sink; see the file comment for what a failure does. */
export function createDomainEventPublisher(
  deps: DomainEventPublisherDeps,
): (input: DomainEventInput) => Promise<DomainEvent> {
  return async (input) => {
    const type = describeType(input);
    let event: DomainEvent;
    try {
      event = buildDomainEvent(input, deps.now);
      await deps.sink.put(event);
    } catch (error) {
      const { name, message } = error as Error;
      deps.logger.error("Domain event not published", {
        eventType: type,
        sink: deps.sink.description,
        error: { name, message },
      });
      countEvent(deps.metrics, METRIC.domainEventPublishFailed, type);
      throw error;
    }
    deps.logger.info("Domain event published", {
      eventType: event.detailType,
      eventId: event.detail.eventId,
      executionName: event.detail.executionName,
      sink: deps.sink.description,
    });
    countEvent(deps.metrics, METRIC.domainEventPublished, event.detailType);
    return event;
  };
}

let defaultPublisher: ((input: DomainEventInput) => Promise<DomainEvent>) | undefined;

/**
 * Publishes one domain event with the sink the environment names, the shared logger and metrics.
 * @throws DomainEventInvalid (not retryable), DomainEventPublishFailed (retryable), ConfigurationError.
 */
export async function publishDomainEvent(input: DomainEventInput): Promise<DomainEvent> {
  defaultPublisher ??= createDomainEventPublisher({
    sink: domainEventSinkFromEnv(),
    logger: sharedLogger,
    metrics: sharedMetrics,
  });
  return defaultPublisher(input);
}

/** publishDomainEvent when the environment names a sink (EVENT_BUS_NAME or LOCAL_EVENTS_FILE), else undefined. */
export function configuredDomainEventPublisher(
  env: Record<string, string | undefined> = process.env,
): typeof publishDomainEvent | undefined {
  return env[EVENT_BUS_NAME_ENV]?.trim() || env[LOCAL_EVENTS_FILE_ENV]?.trim()
    ? publishDomainEvent
    : undefined;
}

/** Forgets the publisher built from the environment (tests, the local stack reloading its configuration). */
export function resetDomainEventPublisher(): void {
  defaultPublisher = undefined;
}
