// Domain events for integrators (docs/events.md): a versioned, validated detail that never carries a
// CustomerKey — by the types of its fields (event-fields.ts), not by scanning them — published to EventBridge,
// or appended to a JSON-lines file when LOCAL_EVENTS_FILE is set.
//
// Failure policy: a publish that fails is logged (error), counted (DomainEventPublishFailed, alarmed) and
// thrown — DomainEventPublishFailed (retryable) when delivery failed, DomainEventInvalid (not retryable) when
// the event itself is wrong. Step Functions retries the publishing task; the eventId is derived from the
// execution name and event type, so a retried publish repeats the same event and consumers drop the duplicate.
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import * as z from "zod/mini";
import {
  DOMAIN_EVENT_SCHEMA_VERSION,
  DOMAIN_EVENT_SOURCE,
  type DomainEventType,
  EVENT_BUS_NAME_ENV,
  LOCAL_EVENTS_FILE_ENV,
} from "../../contracts/domain-event-names.js";
import { DIMENSION, METRIC, RECONCILIATION_FINDING_CATEGORIES } from "../../contracts/metric-names.js";
import { ConfigurationError, DomainEventInvalid, DomainEventPublishFailed } from "../platform/errors.js";
import { redactCustomerKeys } from "../platform/mask.js";
import type { MetricsEmitter } from "../platform/metrics-emitter.js";
import { logger as sharedLogger, metrics as sharedMetrics } from "../platform/observability.js";
import { practiceIdSchema } from "../practice/practice-input.js";
import { domainEventId } from "./domain-event-id.js";
import { eventTextField, maskedKeyField } from "./event-fields.js";

export {
  DOMAIN_EVENT_SCHEMA_VERSION,
  DOMAIN_EVENT_SOURCE,
  DOMAIN_EVENT_TYPES,
  type DomainEventType,
} from "../../contracts/domain-event-names.js";
export { domainEventId } from "./domain-event-id.js";

const nonEmptyText = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const executionName = z.string().check(z.regex(/^[^\s\p{Cc}]{1,80}$/u, "must be 1-80 characters, no spaces"));
const maskedKey = maskedKeyField;
const nonNegativeCount = z.number().check(z.int(), z.nonnegative());
const occurredAt = z.optional(z.iso.datetime({ offset: false }));

const practiceOnboarded = z.strictObject({
  type: z.literal("PracticeOnboarded"),
  executionName,
  occurredAt,
  practiceId: practiceIdSchema,
  devRefId: nonEmptyText(255),
  maskedKey,
  /** `created` for a new key, `reenabled` for a returning practice's old key (it may already be installed). */
  keyOrigin: z.optional(z.enum(["created", "reenabled"])),
});

const practiceOnboardingFailed = z.strictObject({
  type: z.literal("PracticeOnboardingFailed"),
  executionName,
  occurredAt,
  practiceId: practiceIdSchema,
  devRefId: z.optional(nonEmptyText(255)),
  /** The key the failed onboarding created and compensation disabled, if it got that far. */
  maskedKey: z.optional(maskedKey),
  /** The error name that failed it (`PortalRejected`, `KeyConflict`, …). */
  reason: eventTextField(100),
  /** The error message, key-shaped tokens masked (an EventText). */
  message: z.optional(eventTextField(1000)),
});

const practiceOffboarded = z.strictObject({
  type: z.literal("PracticeOffboarded"),
  executionName,
  occurredAt,
  practiceId: practiceIdSchema,
  devRefId: nonEmptyText(255),
  /** The key now disabled; absent when the practice held none (its onboarding never got a key). */
  maskedKey: z.optional(maskedKey),
  /** Why operations offboarded the practice, as they gave it, key-shaped tokens masked (an EventText). */
  reason: z.optional(eventTextField(1000)),
  /** True when the key was already disabled (a repeated offboarding, or disabled by the customer or HQ). */
  alreadyDisabled: z.optional(z.boolean()),
  /** True when the portal no longer knew the key (404): nothing was left to disable. */
  keyMissingInPortal: z.optional(z.boolean()),
});

const reconciliationCompleted = z.strictObject({
  type: z.literal("ReconciliationCompleted"),
  executionName,
  occurredAt,
  /** Findings per category; categories left out are reported as 0. */
  findingsByCategory: z.partialRecord(z.enum(RECONCILIATION_FINDING_CATEGORIES), nonNegativeCount),
  needingAttention: nonNegativeCount,
  repaired: nonNegativeCount,
});

/** An activation link's id: the first 12 hex digits of its token's hash (never the token or the URL). */
const activationLinkId = z.string().check(z.regex(/^[0-9a-f]{12}$/, "must be a link id (12 hex digits)"));

const practiceActivationLinkIssued = z.strictObject({
  type: z.literal("PracticeActivationLinkIssued"),
  /** `activation-link-<linkId>`: one event per link, so a repeated publish has the same eventId. */
  executionName,
  occurredAt,
  practiceId: practiceIdSchema,
  linkId: activationLinkId,
  expiresAt: z.iso.datetime({ offset: false }),
  /** `ops:<user>`, or `onboarding` when issued on PracticeOnboarded. */
  issuedBy: z.optional(nonEmptyText(255)),
  /** The open links this one revoked. */
  replacedLinkIds: z.optional(z.array(activationLinkId)),
});

/** The portal's `DateTimeAssigned` as given: `yyyy-MM-dd HH:mm:ss`, in the portal's own (unstated) time zone. */
const portalDateTime = z
  .string()
  .check(
    z.regex(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/,
      "must be a portal date and time like 2025-05-03 14:02:11",
    ),
  );

const practiceKeyInstalled = z.strictObject({
  type: z.literal("PracticeKeyInstalled"),
  /** `key-installed-<hash of practice and masked key>`: one event per installation of one key. */
  executionName,
  occurredAt,
  practiceId: practiceIdSchema,
  devRefId: nonEmptyText(255),
  maskedKey,
  /** When reconciliation first saw the key installed (ISO, UTC): the funnel's installedAt. */
  installedAt: z.iso.datetime({ offset: false }),
  /** The portal's DateTimeAssigned, verbatim (no time zone). */
  assignedInPortal: portalDateTime,
  /** When the practice became ACTIVE, the start of the time-to-install measure. */
  onboardedAt: z.optional(z.iso.datetime({ offset: false })),
});

const domainEventInput = z.discriminatedUnion("type", [
  practiceOnboarded,
  practiceOnboardingFailed,
  practiceOffboarded,
  reconciliationCompleted,
  practiceActivationLinkIssued,
  practiceKeyInstalled,
]);

/**
 * What a workflow step hands the publisher; `occurredAt` defaults to now (pass the recorded time to repeat it
 * exactly on a retry). Masked keys and free text are branded (event-fields.ts): made by their constructors only.
 */
export type DomainEventInput = z.output<typeof domainEventInput>;

type DetailOf<T extends DomainEventInput> = Omit<T, "type" | "occurredAt"> & {
  schemaVersion: typeof DOMAIN_EVENT_SCHEMA_VERSION;
  eventId: string;
  occurredAt: string;
};

/** `detail` of a published event: the input's fields plus schemaVersion, eventId and occurredAt. */
export type DomainEventDetail = DomainEventInput extends infer T
  ? T extends DomainEventInput
    ? DetailOf<T>
    : never
  : never;

/** A validated event, ready for any sink. */
export interface DomainEvent {
  readonly source: typeof DOMAIN_EVENT_SOURCE;
  readonly detailType: DomainEventType;
  readonly detail: DomainEventDetail;
}

type Issue = z.core.$ZodIssue;

/** zod/mini carries no message texts (no locales bundled), so each issue is described here. */
function describeIssue(issue: Issue): string {
  const field = issue.path.join(".");
  const at = (text: string) => (field ? `${field}: ${text}` : text);
  switch (issue.code) {
    case "unrecognized_keys":
      return at(`unknown field(s) ${issue.keys.join(", ")}`);
    case "invalid_union":
      return "options" in issue && Array.isArray(issue.options)
        ? at(`must be one of ${issue.options.join(", ")}`)
        : at("matches no event shape");
    case "invalid_type":
      if (!field) return `must be an object like {"type": "PracticeOnboarded", …}`;
      return at(issue.input === undefined ? "is required" : `must be ${issue.expected}`);
    case "invalid_value":
      return at(`must be one of ${issue.values.map(String).join(", ")}`);
    case "too_small":
      return at(issue.origin === "string" ? `must not be empty` : `must be at least ${issue.minimum}`);
    case "too_big":
      return at(
        issue.origin === "string"
          ? `must be at most ${issue.maximum} characters`
          : `must be at most ${issue.maximum}`,
      );
    case "invalid_format":
      return at(
        issue.format === "datetime"
          ? "must be a UTC ISO 8601 time like 2025-03-04T05:06:07.000Z"
          : issue.message,
      );
    default:
      return at(issue.message);
  }
}

function describeType(input: unknown): string {
  const type = (input as { type?: unknown } | null)?.type;
  return typeof type === "string" && type.length <= 40 ? type : "domain event";
}

/**
 * Validates `input` and builds the event.
 * @throws DomainEventInvalid naming the field that is wrong (a malformed event: a bug). Values are never echoed.
 */
export function buildDomainEvent(input: unknown, now: () => Date = () => new Date()): DomainEvent {
  // reportInput tells a missing field from a wrong one; the inputs themselves are never put in a message.
  const parsed = z.safeParse(domainEventInput, input, { reportInput: true });
  if (!parsed.success) {
    // Redacted too: a field name or a value in a message could be a key.
    throw new DomainEventInvalid(
      redactCustomerKeys(`${describeType(input)}: ${describeIssue(parsed.error.issues[0]!)}`),
    );
  }
  const { type, occurredAt, ...fields } = parsed.data;
  const detail = {
    schemaVersion: DOMAIN_EVENT_SCHEMA_VERSION,
    eventId: domainEventId(type, fields.executionName),
    occurredAt: occurredAt ?? now().toISOString(),
    ...fields,
  } as DomainEventDetail;
  if ("findingsByCategory" in detail) {
    // Every category, zeros included, so consumers never have to tell "absent" from 0.
    const given = detail.findingsByCategory;
    detail.findingsByCategory = Object.fromEntries(
      RECONCILIATION_FINDING_CATEGORIES.map((category) => [category, given[category] ?? 0]),
    );
  }
  // Nothing is scanned: no field's type can hold a full key (event-fields.ts).
  return { source: DOMAIN_EVENT_SOURCE, detailType: type, detail };
}

/** The event as EventBridge delivers it to a rule's target (without account, region and resources). */
export function eventBridgeEnvelope(event: DomainEvent) {
  return {
    version: "0",
    id: event.detail.eventId,
    "detail-type": event.detailType,
    source: event.source,
    time: event.detail.occurredAt.replace(/\.\d{3}Z$/, "Z"),
    detail: event.detail,
  };
}

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
