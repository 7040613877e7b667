// A domain event for integrators (docs/events.md): its versioned, validated detail, which never carries a
// CustomerKey — by the types of its fields (event-fields.ts), not by scanning them. Built here for the outbox
// (outbox-message.ts), by every step that records something an event announces. No SDK, no logger: the writers'
// bundles stay small and importing this sets nothing up.
import * as z from "zod/mini";
import {
  DOMAIN_EVENT_SCHEMA_VERSION,
  DOMAIN_EVENT_SOURCE,
  type DomainEventType,
} from "../../contracts/domain-event-names.js";
import { RECONCILIATION_FINDING_CATEGORIES } from "../../contracts/metric-names.js";
import { DomainEventInvalid } from "../platform/errors.js";
import { redactCustomerKeys } from "../platform/mask.js";
import { practiceIdSchema } from "../practice/practice-id.js";
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
  /** `key-installed-<hash of practice and key fingerprint>`: one event per installation of one key. */
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
 * What a step hands the event builder; `occurredAt` defaults to now (pass the recorded time to repeat it
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

export function describeType(input: unknown): string {
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
