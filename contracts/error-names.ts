// Error names the workflows' Retry and Catch match on: the state machines (lib/) and the functions that throw
// them (functions/platform/errors.ts) must agree.

/** Error names Step Functions retries with backoff. */
export const RETRYABLE_ERROR_NAMES = [
  "PortalThrottled",
  "PortalUnavailable",
  "PortalResponseInvalid",
  "ConcurrentModification",
  "DomainEventPublishFailed",
  "SecretsUnavailable",
] as const;
