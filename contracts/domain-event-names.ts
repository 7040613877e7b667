// The domain-event contract shared by the bus construct and the outbox delivery (dependency-free: bundled into
// Lambdas). The schema itself is in functions/domain-events/domain-events.ts and documented in docs/events.md.

/** EventBridge `source` of every domain event. */
export const DOMAIN_EVENT_SOURCE = "practice-onboarding";

/** EventBridge `detail-type`s, one per event. */
export const DOMAIN_EVENT_TYPES = [
  "PracticeOnboarded",
  "PracticeOnboardingFailed",
  "PracticeOffboarded",
  "ReconciliationCompleted",
  "PracticeActivationLinkIssued",
  "PracticeKeyInstalled",
] as const;
export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

/** `detail.schemaVersion` of the events this code publishes. Bumped only for breaking changes. */
export const DOMAIN_EVENT_SCHEMA_VERSION = "1";

/** Environment variable naming the bus the outbox delivery puts events on. */
export const EVENT_BUS_NAME_ENV = "EVENT_BUS_NAME";
