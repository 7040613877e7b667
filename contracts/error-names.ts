// Error names the workflows' Retry and Catch match on: the state machines (lib/) and the functions that throw
// them (functions/platform/errors.ts) must agree.

/**
 * Error names Step Functions retries with backoff: every error class declaring `retryable = true` (a Retry's
 * ErrorEquals matches the Lambda errorType, the error's `name`; one missing here fails its Task at once).
 */
export const RETRYABLE_ERROR_NAMES = [
  "PortalThrottled",
  "PortalUnavailable",
  "PortalResponseInvalid",
  "ConcurrentModification",
  "DomainEventPublishFailed",
  "SecretsUnavailable",
  // KMS throttled or unreachable (functions/key-custody/key-custody-errors.ts): left out, a throttled Decrypt in
  // the label step went to compensation, whose own Decrypt was throttled too, leaving the new key enabled.
  "KeyCustodyUnavailable",
] as const;
