// HubSpot request signature v3, as developers.hubspot.com "Validating requests" documents it
// (https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests#validate-the-v3-request-signature):
// reject a request whose X-HubSpot-Request-Timestamp (Unix milliseconds) is older than 5 minutes; decode the
// URL-encoded characters the page lists in the request URI; HMAC-SHA-256 over the UTF-8 string
// method + URI + body + timestamp, keyed with the app's client secret; base64; compare in constant time.
import { createHmac } from "node:crypto";
import { constantTimeEqual } from "./constant-time.js";
import { DeliveryRejected } from "./delivery-rejected.js";

export const HUBSPOT_SIGNATURE_HEADER = "x-hubspot-signature-v3";
export const HUBSPOT_TIMESTAMP_HEADER = "x-hubspot-request-timestamp";
/** "Reject the request if the timestamp is older than 5 minutes." */
export const HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000;

// The documented table: exactly these escapes are decoded (either hex case), nothing else — "%20" or
// "%25" stay as they are, so "%253A" is not decoded twice into ":".
const DOCUMENTED_ESCAPES = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;

/** The request URI as HubSpot signs it: the documented escapes decoded, everything else untouched. */
export function hubspotSignedUri(url: string): string {
  return url.replace(DOCUMENTED_ESCAPES, (percentEscape) =>
    String.fromCharCode(Number.parseInt(percentEscape.slice(1), 16)),
  );
}

export interface HubSpotSignedParts {
  readonly method: string;
  /** The full URL HubSpot called (`https://host/path?query`), as received. */
  readonly url: string;
  /** The raw body text, exactly as received (never re-serialized JSON). */
  readonly body: string;
  /** The X-HubSpot-Request-Timestamp header value, as received. */
  readonly timestamp: string;
}

/** The base64 HMAC-SHA-256 that X-HubSpot-Signature-v3 carries for these parts under `clientSecret`. */
export function hubspotSignatureV3(clientSecret: string, parts: HubSpotSignedParts): string {
  const source = `${parts.method}${hubspotSignedUri(parts.url)}${parts.body}${parts.timestamp}`;
  return createHmac("sha256", clientSecret).update(source, "utf8").digest("base64");
}

// Unix milliseconds, no sign, no leading zero, no fraction: "0123" or "1.7e12" would hash differently from
// what they parse to.
const TIMESTAMP = /^[1-9]\d{0,15}$/;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Verifies a delivery's v3 signature against every secret (two during a client-secret rotation).
 * @returns the index of the secret that verified it.
 * @throws DeliveryRejected (401) naming the check that failed, never a secret or the expected signature.
 */
export function verifyHubSpotSignature(
  parts: Omit<HubSpotSignedParts, "timestamp"> & { timestamp?: string; signature?: string },
  secrets: readonly string[],
  now: Date,
): number {
  const { timestamp, signature } = parts;
  if (!timestamp || !signature) {
    const missing = [
      [HUBSPOT_SIGNATURE_HEADER, signature],
      [HUBSPOT_TIMESTAMP_HEADER, timestamp],
    ].filter(([, value]) => !value);
    throw new DeliveryRejected(
      "InvalidSignature",
      `missing header(s): ${missing.map(([n]) => n).join(", ")}`,
    );
  }
  if (!TIMESTAMP.test(timestamp)) {
    throw new DeliveryRejected(
      "InvalidSignature",
      `${HUBSPOT_TIMESTAMP_HEADER} must be Unix time in milliseconds`,
    );
  }
  // The documented check is "older than 5 minutes"; a timestamp as far in the future is refused too (a clock
  // that wrong, or a forged header, either way not a delivery to act on).
  if (Math.abs(now.getTime() - Number(timestamp)) > HUBSPOT_MAX_AGE_MS) {
    throw new DeliveryRejected(
      "InvalidSignature",
      `${HUBSPOT_TIMESTAMP_HEADER} is more than ${HUBSPOT_MAX_AGE_MS / 60000} minutes from now`,
    );
  }
  if (!BASE64_SHA256.test(signature)) {
    throw new DeliveryRejected(
      "InvalidSignature",
      `${HUBSPOT_SIGNATURE_HEADER} must be a base64 HMAC-SHA-256`,
    );
  }
  let verifiedBy = -1;
  // Every secret is tried, so which one matched does not show in the timing.
  secrets.forEach((secret, index) => {
    const expected = hubspotSignatureV3(secret, { ...parts, timestamp });
    if (constantTimeEqual(expected, signature) && verifiedBy < 0) verifiedBy = index;
  });
  if (verifiedBy < 0) throw new DeliveryRejected("InvalidSignature", "signature verification failed");
  return verifiedBy;
}
