// A HubSpot Webhooks API delivery (an app's CRM object subscriptions): checked, verified (v3), and turned into
// one ProviderRecord per event. HubSpot batches up to 100 events in one POST, a JSON array.
//
// Idempotency key. The documented event fields are eventId, subscriptionId, portalId, appId, occurredAt,
// subscriptionType, attemptNumber, objectId (+ propertyName/propertyValue/changeSource for property changes).
// HubSpot documents eventId as "not guaranteed to be unique", and a retry of the same event differs only in
// attemptNumber. So the key is the event with attemptNumber left out: portal, subscription, object, eventId and
// occurredAt. Each is a number fixed when the event happened, so every redelivery of that event (up to 10 over
// about a day) yields the same key, while two events that happen to share an eventId differ in subscription,
// object or time.
import * as z from "zod/mini";
import { DeliveryRejected } from "./delivery-rejected.js";
import { bodyText, type HttpDelivery, header, requireMediaType } from "./http-delivery.js";
import {
  HUBSPOT_SIGNATURE_HEADER,
  HUBSPOT_TIMESTAMP_HEADER,
  verifyHubSpotSignature,
} from "./hubspot-signature.js";
import type { ProviderRecord } from "./lifecycle-request.js";

/** Largest accepted body: 100 events of a few hundred bytes each fit many times over. */
export const HUBSPOT_MAX_BODY_BYTES = 256 * 1024;
/** HubSpot's documented batch size limit. */
export const HUBSPOT_MAX_EVENTS = 100;

const id = z.number().check(z.int(), z.nonnegative());
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const eventSchema = z.catchall(
  z.object({
    eventId: id,
    subscriptionId: id,
    portalId: id,
    objectId: id,
    // Unix milliseconds within the range a Date can hold.
    occurredAt: z.number().check(z.int(), z.positive(), z.lte(8_640_000_000_000_000)),
    subscriptionType: z.string(),
    attemptNumber: z.optional(id),
  }),
  // Other documented fields are scalars; nested values are not part of the Webhooks API payload.
  scalar,
);
const batchSchema = z.array(eventSchema).check(z.minLength(1), z.maxLength(HUBSPOT_MAX_EVENTS));

/** The deterministic delivery id of one event (see the file comment). */
export function hubspotDeliveryId(event: {
  portalId: number;
  subscriptionId: number;
  objectId: number;
  eventId: number;
  occurredAt: number;
}): string {
  return `hubspot-${event.portalId}-${event.subscriptionId}-${event.objectId}-${event.eventId}-${event.occurredAt}`;
}

/**
 * Checks and verifies a HubSpot delivery; returns one record per event, fields as strings.
 * Order: media type (415), size (413), signature (401), then the body is parsed (400).
 * @param secrets the app's client secrets, newest first (both during a rotation).
 */
export function readHubSpotDelivery(
  delivery: HttpDelivery,
  secrets: readonly string[],
  now: Date,
): ProviderRecord[] {
  requireMediaType(delivery, "application/json");
  const body = bodyText(delivery, HUBSPOT_MAX_BODY_BYTES);
  verifyHubSpotSignature(
    {
      method: delivery.method,
      url: delivery.url,
      body,
      timestamp: header(delivery, HUBSPOT_TIMESTAMP_HEADER),
      signature: header(delivery, HUBSPOT_SIGNATURE_HEADER),
    },
    secrets,
    now,
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new DeliveryRejected("InvalidBody", "body is not valid JSON");
  }
  const batch = z.safeParse(batchSchema, parsed);
  if (!batch.success) {
    const issue = batch.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw new DeliveryRejected(
      "InvalidBody",
      `${where}: ${issue.message} (expected a JSON array of 1-${HUBSPOT_MAX_EVENTS} HubSpot webhook events)`,
    );
  }
  return batch.data.map((event) => {
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(event)) {
      if (value !== null && name !== "attemptNumber") fields[name] = String(value);
    }
    return {
      provider: "hubspot",
      deliveryId: hubspotDeliveryId(event),
      issuedAt: new Date(event.occurredAt).toISOString(),
      fields,
    };
  });
}
