// Which failed POST /apikeys may have created a key (issue 14, symptom 1): refusals and failures before sending
// did not; a lost answer, or anything not recognised, may have.
import { describe, expect, it } from "vitest";
import { postCreatedNothing } from "../../../functions/onboarding/create-post-outcome.js";
import {
  PortalNotFound,
  PortalRejected,
  PortalResponseInvalid,
  PortalThrottled,
  PortalUnauthorized,
  PortalUnavailable,
  SecretsUnavailable,
} from "../../../functions/platform/errors.js";

describe("postCreatedNothing", () => {
  it.each([
    ["429 or our limiter's throttle", new PortalThrottled("POST /apikeys: 429 TooManyRequests")],
    ["400", new PortalRejected("POST /apikeys: 400 BadRequest: Key limit reached.")],
    ["401/403", new PortalUnauthorized("POST /apikeys: 401 Unauthorized")],
    ["404", new PortalNotFound("POST /apikeys: 404 NotFound")],
    ["refused connection (never sent)", new PortalUnavailable("network failure (ECONNREFUSED)", false)],
    ["credentials unreadable (never sent)", new SecretsUnavailable("secret unreadable")],
  ])("%s created nothing", (_, error) => {
    expect(postCreatedNothing(error)).toBe(true);
  });

  it.each([
    [
      "timeout after sending",
      new PortalUnavailable("no answer within 15000 ms; it may have been applied", true),
    ],
    ["502 after the change may have applied", new PortalUnavailable("502 BadGateway", true)],
    ["unreadable 2xx", new PortalResponseInvalid("returned an HTML page", true)],
    ["an error we do not know", new TypeError("fetch failed")],
    ["not an error at all", "boom"],
  ])("%s may have created a key", (_, error) => {
    expect(postCreatedNothing(error)).toBe(false);
  });
});
