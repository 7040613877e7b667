// Typed errors with stable names: Step Functions retries and catches by `name` (the Lambda errorType).
// Messages say what was wrong and with which input, and never carry a full key or credential.

/** Base for every error this project raises on purpose. `retryable` drives the workflows' Retry blocks. */
export abstract class AppError extends Error {
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function named<T extends abstract new (...args: never[]) => AppError>(cls: T, name: string): T {
  // Set on the prototype so the name survives minification and `instanceof` still works.
  Object.defineProperty(cls.prototype, "name", { value: name, enumerable: false });
  return cls;
}

/** The portal answered 429 (or its throttling equivalent): wait and retry. */
export const PortalThrottled = named(
  class PortalThrottled extends AppError {
    readonly retryable = true;
    constructor(
      message: string,
      readonly retryAfterSeconds?: number,
    ) {
      super(message);
    }
  },
  "PortalThrottled",
);
export type PortalThrottled = InstanceType<typeof PortalThrottled>;

/** 5xx, 504 after the portal's 60 s limit, network failure or our own timeout: retryable. */
export const PortalUnavailable = named(
  class PortalUnavailable extends AppError {
    readonly retryable = true;
    constructor(
      message: string,
      /** True when the request may have been applied before the failure (e.g. timeout after sending). */
      readonly outcomeUnknown = false,
      options?: { cause?: unknown },
    ) {
      super(message, options);
    }
  },
  "PortalUnavailable",
);
export type PortalUnavailable = InstanceType<typeof PortalUnavailable>;

/** A 2xx whose body is not what the API documents (HTML page, truncated JSON, wrong shape). Retryable. */
export const PortalResponseInvalid = named(
  class PortalResponseInvalid extends AppError {
    readonly retryable = true;
    constructor(
      message: string,
      /** True for POST/PUT: a 2xx arrived, so the change was probably applied even though the body is unreadable. */
      readonly outcomeUnknown = false,
      options?: { cause?: unknown },
    ) {
      super(message, options);
    }
  },
  "PortalResponseInvalid",
);
export type PortalResponseInvalid = InstanceType<typeof PortalResponseInvalid>;

/** 400: the portal refused the request and said why. Not retryable. */
export const PortalRejected = named(
  class PortalRejected extends AppError {
    readonly retryable = false;
  },
  "PortalRejected",
);
export type PortalRejected = InstanceType<typeof PortalRejected>;

/** 401: the DeveloperKey / DeveloperPortalKey pair was refused. Not retryable: check the secret. */
export const PortalUnauthorized = named(
  class PortalUnauthorized extends AppError {
    readonly retryable = false;
  },
  "PortalUnauthorized",
);
export type PortalUnauthorized = InstanceType<typeof PortalUnauthorized>;

/** 404 (or 410): the portal does not know the key. Not retryable. */
export const PortalNotFound = named(
  class PortalNotFound extends AppError {
    readonly retryable = false;
  },
  "PortalNotFound",
);
export type PortalNotFound = InstanceType<typeof PortalNotFound>;

/** Input (execution input, webhook body, CLI argument) failed validation. Nothing was changed. */
export const InvalidInput = named(
  class InvalidInput extends AppError {
    readonly retryable = false;
  },
  "InvalidInput",
);
export type InvalidInput = InstanceType<typeof InvalidInput>;

/** No practice record exists for the id given. */
export const PracticeNotFound = named(
  class PracticeNotFound extends AppError {
    readonly retryable = false;
  },
  "PracticeNotFound",
);
export type PracticeNotFound = InstanceType<typeof PracticeNotFound>;

/** A conditional write lost a race (another execution changed the record first). Retryable. */
export const ConcurrentModification = named(
  class ConcurrentModification extends AppError {
    readonly retryable = true;
  },
  "ConcurrentModification",
);
export type ConcurrentModification = InstanceType<typeof ConcurrentModification>;

/** A domain event failed its schema or carried something shaped like a CustomerKey. Not retryable: a bug. */
export const DomainEventInvalid = named(
  class DomainEventInvalid extends AppError {
    readonly retryable = false;
  },
  "DomainEventInvalid",
);
export type DomainEventInvalid = InstanceType<typeof DomainEventInvalid>;

/** A valid domain event could not be delivered (EventBridge error, file not writable). Retryable: same eventId. */
export const DomainEventPublishFailed = named(
  class DomainEventPublishFailed extends AppError {
    readonly retryable = true;
  },
  "DomainEventPublishFailed",
);
export type DomainEventPublishFailed = InstanceType<typeof DomainEventPublishFailed>;

/** An environment variable or secret value is missing or malformed. Not retryable. */
export const ConfigurationError = named(
  class ConfigurationError extends AppError {
    readonly retryable = false;
  },
  "ConfigurationError",
);
export type ConfigurationError = InstanceType<typeof ConfigurationError>;

/** The practice is no longer in the state this execution claimed (another execution or ops changed it). */
export const ClaimLost = named(
  class ClaimLost extends AppError {
    readonly retryable = false;
  },
  "ClaimLost",
);
export type ClaimLost = InstanceType<typeof ClaimLost>;

/**
 * The execution asking to claim the practice has already ended (stopped or timed out while its claim Lambda ran):
 * the claim release recorded that, and the late claim is refused with nothing written.
 */
export const ExecutionEnded = named(
  class ExecutionEnded extends AppError {
    readonly retryable = false;
  },
  "ExecutionEnded",
);
export type ExecutionEnded = InstanceType<typeof ExecutionEnded>;

/** The table refused a key mapping: the key belongs to another practice, or the practice holds another key. */
export const KeyConflict = named(
  class KeyConflict extends AppError {
    readonly retryable = false;
  },
  "KeyConflict",
);
export type KeyConflict = InstanceType<typeof KeyConflict>;

/** The practice is being onboarded or offboarded by another execution; try again once that one ends. */
export const PracticeBusy = named(
  class PracticeBusy extends AppError {
    readonly retryable = false;
  },
  "PracticeBusy",
);
export type PracticeBusy = InstanceType<typeof PracticeBusy>;

/** Secrets Manager could not be reached or throttled us (not a missing or malformed secret). Retryable. */
export const SecretsUnavailable = named(
  class SecretsUnavailable extends AppError {
    readonly retryable = true;
  },
  "SecretsUnavailable",
);
export type SecretsUnavailable = InstanceType<typeof SecretsUnavailable>;

export { RETRYABLE_ERROR_NAMES } from "../../contracts/error-names.js";
