// Which failed `POST /apikeys` may still have created a key (docs/architecture.md §4, invariant 4). Only an
// unknown outcome counts: a request sent whose answer never arrived (timeout, reset after sending, a 5xx the
// portal client marks as possibly applied, an unreadable 2xx). An answer that refuses the request (429, 400, 401,
// 403, 404) and a failure before sending (our rate limiter's throttle, a refused connection, unreadable
// credentials) created nothing — counting them let reconciliation adopt keys a person made by hand (issue 14).
import {
  PortalNotFound,
  PortalRejected,
  PortalResponseInvalid,
  PortalThrottled,
  PortalUnauthorized,
  PortalUnavailable,
  SecretsUnavailable,
} from "../platform/errors.js";

/** True only when the error proves the POST created no key; anything unrecognised counts as unknown. */
export function postCreatedNothing(error: unknown): boolean {
  if (
    error instanceof PortalThrottled ||
    error instanceof PortalRejected ||
    error instanceof PortalUnauthorized ||
    error instanceof PortalNotFound ||
    error instanceof SecretsUnavailable
  ) {
    return true;
  }
  if (error instanceof PortalUnavailable || error instanceof PortalResponseInvalid) {
    return error.outcomeUnknown === false;
  }
  return false;
}
