// The metrics contract between the handlers that emit metrics and the alarms and dashboard that read them.
// Dependency-free: Lambda bundles import it as well as the CDK constructs, so names cannot drift apart.
//
// Every custom metric is emitted by Powertools Metrics (EMF) in namespace METRICS_NAMESPACE and carries the
// default dimension `service` = SERVICE_NAME; an alarm must name that dimension too, or it reads nothing.

/** CloudWatch namespace of every custom metric. */
export const METRICS_NAMESPACE = "PracticeOnboarding";

/** Powertools' default dimension and the value every function sets (POWERTOOLS_SERVICE_NAME). */
export const SERVICE_DIMENSION = "service";
export const SERVICE_NAME = "practice-onboarding";

/** Custom metric names. */
export const METRIC = {
  /** Count per portal HTTP request; dimension sets [service, Outcome] and [service, Status]. */
  portalCalls: "PortalCalls",
  /** Milliseconds per portal HTTP request; dimension set [service]. */
  portalCallLatency: "PortalCallLatency",
  /**
   * Count of portal requests refused for the credentials for good: a 401 after the refresh-and-retry, or a 403.
   * A single 401 that the fresh credentials fix (secret rotated) is not counted. Dimension set [service].
   */
  portalCredentialsRejected: "PortalCredentialsRejected",
  /** Webhook deliveries that started an onboarding; [service]. */
  webhookAccepted: "WebhookAccepted",
  /** Redeliveries of a delivery already accepted; [service]. */
  webhookDuplicate: "WebhookDuplicate",
  /** Deliveries of an event type we do not act on; [service]. */
  webhookIgnored: "WebhookIgnored",
  /** Deliveries refused (4xx); [service, reason] with reason e.g. InvalidSignature, InvalidInput. */
  webhookRejected: "WebhookRejected",
  /** Deliveries answered 5xx by the handler; [service]. */
  webhook5xx: "Webhook5xx",
  /** Findings of one reconciliation run by category; [service, Category], every category every run. */
  reconciliationFindings: "ReconciliationFindings",
  /** Findings of one reconciliation run that a person must look at; [service]. */
  reconciliationFindingsNeedingAttention: "ReconciliationFindingsNeedingAttention",
  /**
   * Seconds from a practice becoming ACTIVE (onboarded) to reconciliation first seeing its key installed in Open
   * Dental (DateTimeAssigned set); once per installation; [service]. An upper bound by the schedule's interval.
   */
  keyTimeToInstall: "KeyTimeToInstall",
  /**
   * ACTIVE practices whose enabled key was still not installed after the run's notYetAssignedDays (the run's
   * NOT_YET_ASSIGNED findings): keys billed for nothing; every run, zero included; [service].
   */
  keysEnabledNotInstalled: "KeysEnabledNotInstalled",
  /** Domain events published; [service] and [service, EventType]. */
  domainEventPublished: "DomainEventPublished",
  /** Domain events refused or not delivered; [service] and [service, EventType]. */
  domainEventPublishFailed: "DomainEventPublishFailed",
  /**
   * Lifecycle requests that changed nothing because they were issued at or before the practice's last
   * transition (docs/events.md, ordering); [service, Workflow] with Workflow `Onboarding` or `Offboarding`.
   */
  staleRequests: "StaleRequests",
} as const;

/** Custom dimension names. */
export const DIMENSION = {
  /** `ok` or the error name of a portal request (PORTAL_CALL_OUTCOMES lists the known ones). */
  portalOutcome: "Outcome",
  /** HTTP status of a portal request as text, or PORTAL_NO_STATUS when no answer arrived. */
  portalStatus: "Status",
  /** Why a webhook was rejected: the error name (`InvalidSignature`, …). Lower case, as the handler emits it. */
  webhookRejectionReason: "reason",
  /** A reconciliation finding category (RECONCILIATION_FINDING_CATEGORIES). */
  findingCategory: "Category",
  /** A domain event type. */
  eventType: "EventType",
  /** The workflow a stale request started: `Onboarding` or `Offboarding`. */
  workflow: "Workflow",
} as const;

/** `Status` of a portal request that got no HTTP answer (timeout, network failure). */
export const PORTAL_NO_STATUS = "none";

/** The portal outcomes a request can have: `ok`, or the name of the typed error it raised. */
export const PORTAL_CALL_OUTCOMES = [
  "ok",
  "PortalUnauthorized",
  "PortalThrottled",
  "PortalUnavailable",
  "PortalRejected",
  "PortalNotFound",
  "PortalResponseInvalid",
] as const;

/** The webhook rejection reason that means "not signed by the CRM". */
export const WEBHOOK_INVALID_SIGNATURE = "InvalidSignature";

/** Every drift reconciliation can report. */
export const RECONCILIATION_FINDING_CATEGORIES = [
  /** A key we created (create attempt on record) that no practice maps to. */
  "UNMAPPED_KEY_OURS",
  /** An enabled key in the portal that we did not create and no practice maps to. */
  "UNMAPPED_KEY_FOREIGN",
  /** The table maps a practice to a key the portal does not list. */
  "KEY_MISSING",
  /** An offboarded or failed practice whose key is still enabled (billed). */
  "SHOULD_BE_DISABLED",
  /** An active practice whose key is disabled (by the customer, HQ, or someone in the portal). */
  "UNEXPECTEDLY_DISABLED",
  /** The key's DevRefId differs from the practice's. */
  "LABEL_DRIFT",
  /** A practice left in ONBOARDING or OFFBOARDING longer than any execution can run. */
  "STUCK",
  /** An active practice's key that the practice has not yet added in Open Dental (DateTimeAssigned unset). */
  "NOT_YET_ASSIGNED",
] as const;
export type ReconciliationFindingCategory = (typeof RECONCILIATION_FINDING_CATEGORIES)[number];
