// HubSpot Webhooks API deliveries, checked against developers.hubspot.com "Validating requests" (v3):
// HMAC-SHA-256 of method + URI + body + X-HubSpot-Request-Timestamp under the client secret, base64; the
// documented URI escapes decoded; requests older than 5 minutes rejected. Fixtures: the documented example batch.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DeliveryRejected } from "../../../../functions/webhook/providers/delivery-rejected.js";
import type { HttpDelivery } from "../../../../functions/webhook/providers/http-delivery.js";
import {
  HUBSPOT_MAX_BODY_BYTES,
  hubspotDeliveryId,
  readHubSpotDelivery,
} from "../../../../functions/webhook/providers/hubspot-delivery.js";
import {
  HUBSPOT_MAX_AGE_MS,
  hubspotSignatureV3,
  hubspotSignedUri,
} from "../../../../functions/webhook/providers/hubspot-signature.js";
import { hubspotDealStageEvent, signHubSpotDelivery } from "../../../../local/provider-deliveries.js";

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const DOCUMENTED_BATCH = JSON.parse(fixture("hubspot-documented-events.json")) as object[];
const SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"; // the shape of the docs' example client secret
const OLD_SECRET = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
const URL_ = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/hubspot";
const NOW = new Date("2025-03-04T10:15:30.000Z");

function signed(events: object[] = DOCUMENTED_BATCH, secret = SECRET, at = NOW): HttpDelivery {
  return signHubSpotDelivery({ url: URL_, clientSecret: secret, events, timestamp: at });
}

function rejection(action: () => unknown): DeliveryRejected {
  try {
    action();
  } catch (error) {
    if (error instanceof DeliveryRejected) return error;
    throw error;
  }
  throw new Error("expected a DeliveryRejected");
}

describe("hubspotSignatureV3", () => {
  it("is the base64 HMAC-SHA-256 of method + URI + body + timestamp under the client secret", () => {
    const body = '{"example_field":"example_value"}';
    const expected = createHmac("sha256", SECRET)
      .update(`POSThttps://www.example.com/webhook_uri${body}1700000000000`, "utf8")
      .digest("base64");
    expect(
      hubspotSignatureV3(SECRET, {
        method: "POST",
        url: "https://www.example.com/webhook_uri",
        body,
        timestamp: "1700000000000",
      }),
    ).toBe(expected);
  });

  it("decodes exactly the documented URI escapes, in either hex case, and nothing twice", () => {
    expect(
      hubspotSignedUri("https://x.example/p%3Aa%2Fb%3Fc%40d%21e%24f%27g%28h%29i%2Aj%2Ck%3Bl?q=%3a%2c"),
    ).toBe("https://x.example/p:a/b?c@d!e$f'g(h)i*j,k;l?q=:,");
    // %20, %25 and %26 are not in the table; %253A is "%25" + "3A", not a third-level ":".
    expect(hubspotSignedUri("https://x.example/a%20b?x=%26&y=%253A")).toBe(
      "https://x.example/a%20b?x=%26&y=%253A",
    );
  });
});

describe("readHubSpotDelivery", () => {
  it("verifies the documented example batch and returns one record per event", () => {
    const records = readHubSpotDelivery(signed(), [SECRET], NOW);
    expect(records).toEqual([
      {
        provider: "hubspot",
        deliveryId: "hubspot-33-25-1246965-3816279340-1462216307945",
        issuedAt: "2016-05-02T19:11:47.945Z",
        fields: {
          objectId: "1246965",
          propertyName: "lifecyclestage",
          propertyValue: "subscriber",
          changeSource: "ACADEMY",
          eventId: "3816279340",
          subscriptionId: "25",
          portalId: "33",
          appId: "1160452",
          occurredAt: "1462216307945",
          subscriptionType: "contact.propertyChange",
        },
      },
      expect.objectContaining({ deliveryId: "hubspot-33-22-1246978-3816279480-1462216307945" }),
    ]);
  });

  it("gives a redelivery (next attemptNumber, new signature time) the same delivery id", () => {
    const event = hubspotDealStageEvent({ dealId: 7, stage: "closedwon", eventId: 99, occurredAt: NOW });
    const first = readHubSpotDelivery(signed([event]), [SECRET], NOW);
    const later = new Date(NOW.getTime() + 120_000);
    const retry = readHubSpotDelivery(
      signed([{ ...event, attemptNumber: 1 }], SECRET, later),
      [SECRET],
      later,
    );
    expect(retry[0]!.deliveryId).toBe(first[0]!.deliveryId);
    expect(first[0]!.deliveryId).toBe(
      hubspotDeliveryId({
        portalId: 33,
        subscriptionId: 31,
        objectId: 7,
        eventId: 99,
        occurredAt: NOW.getTime(),
      }),
    );
  });

  it("accepts the old client secret during a rotation, and only while it is listed", () => {
    expect(readHubSpotDelivery(signed(DOCUMENTED_BATCH, OLD_SECRET), [SECRET, OLD_SECRET], NOW)).toHaveLength(
      2,
    );
    expect(
      rejection(() => readHubSpotDelivery(signed(DOCUMENTED_BATCH, OLD_SECRET), [SECRET], NOW)).statusCode,
    ).toBe(401);
  });

  it("verifies a URL whose query carries escapes HubSpot decodes before signing", () => {
    const url = `${URL_}?portal=33%3Aprod&tag=%28a%2Cb%29`;
    const delivery = signHubSpotDelivery({
      url,
      clientSecret: SECRET,
      events: DOCUMENTED_BATCH,
      timestamp: NOW,
    });
    // HubSpot signs the decoded form: recompute it independently from the documented table.
    const decoded = `${URL_}?portal=33:prod&tag=(a,b)`;
    const expected = createHmac("sha256", SECRET)
      .update(`POST${decoded}${delivery.body}${NOW.getTime()}`)
      .digest("base64");
    expect(delivery.headers["x-hubspot-signature-v3"]).toBe(expected);
    expect(readHubSpotDelivery(delivery, [SECRET], NOW)).toHaveLength(2);
  });

  describe("tampered copies of the genuine delivery start nothing (401)", () => {
    const genuine = signed();
    const cases: [string, HttpDelivery][] = [
      ["body", { ...genuine, body: genuine.body!.replace("subscriber", "customer") }],
      ["URI path", { ...genuine, url: `${URL_}-other` }],
      ["URI query", { ...genuine, url: `${URL_}?x=1` }],
      ["method", { ...genuine, method: "PUT" }],
      [
        "timestamp",
        {
          ...genuine,
          headers: { ...genuine.headers, "x-hubspot-request-timestamp": String(NOW.getTime() - 1000) },
        },
      ],
      ["secret", signed(DOCUMENTED_BATCH, "another app's client secret")],
    ];
    it.each(cases)("%s changed", (_, delivery) => {
      const error = rejection(() => readHubSpotDelivery(delivery, [SECRET], NOW));
      expect(error.statusCode).toBe(401);
      expect(error.reason).toBe("InvalidSignature");
      expect(error.message).not.toContain(SECRET);
    });
  });

  it("rejects a timestamp more than 5 minutes old (and as far ahead), accepts one exactly 5 minutes old", () => {
    const at = new Date(NOW.getTime() - HUBSPOT_MAX_AGE_MS);
    expect(readHubSpotDelivery(signed(DOCUMENTED_BATCH, SECRET, at), [SECRET], NOW)).toHaveLength(2);
    for (const offset of [-HUBSPOT_MAX_AGE_MS - 1, HUBSPOT_MAX_AGE_MS + 1]) {
      const delivery = signed(DOCUMENTED_BATCH, SECRET, new Date(NOW.getTime() + offset));
      expect(rejection(() => readHubSpotDelivery(delivery, [SECRET], NOW)).message).toMatch(/5 minutes/);
    }
  });

  it.each([
    ["missing signature", { "x-hubspot-signature-v3": undefined }],
    ["missing timestamp", { "x-hubspot-request-timestamp": undefined }],
    ["timestamp in seconds with a fraction", { "x-hubspot-request-timestamp": "1741083330.5" }],
    ["signature that is not base64 SHA-256", { "x-hubspot-signature-v3": "sha256=abc123" }],
  ])("rejects a %s (401)", (_, headers) => {
    const genuine = signed();
    const delivery = { ...genuine, headers: { ...genuine.headers, ...headers } };
    expect(rejection(() => readHubSpotDelivery(delivery, [SECRET], NOW)).statusCode).toBe(401);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1", ""])(
    "rejects content-type %j before verifying anything (415)",
    (contentType) => {
      const genuine = signed();
      const delivery = { ...genuine, headers: { ...genuine.headers, "content-type": contentType } };
      expect(rejection(() => readHubSpotDelivery(delivery, [SECRET], NOW)).statusCode).toBe(415);
    },
  );

  it("rejects an oversized body before signing work, even a correctly signed one (413)", () => {
    const events = Array.from({ length: 100 }, (_, index) => ({
      ...hubspotDealStageEvent({ dealId: index, stage: "x".repeat(3000), occurredAt: NOW }),
    }));
    const delivery = signed(events);
    expect(delivery.body!.length).toBeGreaterThan(HUBSPOT_MAX_BODY_BYTES);
    expect(rejection(() => readHubSpotDelivery(delivery, [SECRET], NOW)).statusCode).toBe(413);
  });

  it.each([
    ["not JSON", "[{"],
    ["an object instead of an array", "{}"],
    ["an empty batch", "[]"],
    ["an event without eventId", JSON.stringify([{ ...DOCUMENTED_BATCH[0], eventId: undefined }])],
    ["a nested value", JSON.stringify([{ ...DOCUMENTED_BATCH[0], extra: { a: 1 } }])],
    ["101 events", JSON.stringify(Array.from({ length: 101 }, () => DOCUMENTED_BATCH[0]))],
  ])("rejects a correctly signed body that is %s (400)", (_, body) => {
    const timestamp = String(NOW.getTime());
    const delivery: HttpDelivery = {
      method: "POST",
      url: URL_,
      body,
      headers: {
        "content-type": "application/json",
        "x-hubspot-request-timestamp": timestamp,
        "x-hubspot-signature-v3": hubspotSignatureV3(SECRET, { method: "POST", url: URL_, body, timestamp }),
      },
    };
    const error = rejection(() => readHubSpotDelivery(delivery, [SECRET], NOW));
    expect(error.statusCode).toBe(400);
    expect(error.reason).toBe("InvalidBody");
  });

  it("reads a base64-encoded body (API Gateway sets isBase64Encoded for some media types)", () => {
    const genuine = signed();
    const delivery = {
      ...genuine,
      body: Buffer.from(genuine.body!).toString("base64"),
      isBase64Encoded: true,
    };
    expect(readHubSpotDelivery(delivery, [SECRET], NOW)).toHaveLength(2);
  });
});
