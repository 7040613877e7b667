// Salesforce Outbound Messages, checked against the Outbound Messaging WSDL (developer.salesforce.com, SOAP API
// guide, "Understanding the Outbound Messaging WSDL"): authenticated by a path token and an organization
// allow-list, read without DTDs or entities, acknowledged with notificationsResponse/Ack only when asked.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DeliveryRejected } from "../../../../functions/webhook/providers/delivery-rejected.js";
import type { HttpDelivery } from "../../../../functions/webhook/providers/http-delivery.js";
import {
  OUTBOUND_NAMESPACE,
  readSalesforceDelivery,
  SALESFORCE_ACK_BODY,
  SALESFORCE_MAX_BODY_BYTES,
  type SalesforceAuth,
  salesforceAckResponse,
} from "../../../../functions/webhook/providers/salesforce-outbound-message.js";
import { parseStrictXml } from "../../../../functions/webhook/providers/strict-xml.js";
import { buildSalesforceDelivery } from "../../../../local/provider-deliveries.js";

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const TOKEN = "sf_4f9c2b7e1d8a6b3c5e7f9a1b2c3d4e5f";
const OLD_TOKEN = "sf_00000000000000000000000000000000";
const AUTH: SalesforceAuth = { tokens: [TOKEN], allowedOrganizationIds: ["00D000000000062"] };
const URL_ = `https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/salesforce/${TOKEN}`;

function delivery(body: string, contentType = "text/xml; charset=utf-8"): HttpDelivery {
  return { method: "POST", url: URL_, headers: { "content-type": contentType, soapaction: '""' }, body };
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

describe("readSalesforceDelivery", () => {
  it("reads the documented message shape: one record per Notification, keyed by org and notification Id", () => {
    const result = readSalesforceDelivery(delivery(fixture("salesforce-outbound-message.xml")), TOKEN, AUTH);
    expect(result.organizationId).toBe("00D000000000062AAA");
    expect(result.actionId).toBe("04k000000000001AAA");
    expect(result.records).toEqual([
      {
        provider: "salesforce",
        deliveryId: "salesforce-00D000000000062-04l000000000001AAA",
        fields: {
          sObjectType: "Account",
          OrganizationId: "00D000000000062AAA",
          ActionId: "04k000000000001AAA",
          Id: "001000000000001AAA",
          Customer_Status__c: "Churned",
          LastModifiedDate: "2025-03-04T10:15:30.000Z",
          Name: "Sarah's Super Dental & Ortho",
          Practice_Id__c: "practice-001",
        },
      },
    ]);
  });

  it("accepts the previous token during a rotation, and only while it is listed", () => {
    const body = fixture("salesforce-outbound-message.xml");
    const rotating = { ...AUTH, tokens: [TOKEN, OLD_TOKEN] };
    expect(readSalesforceDelivery(delivery(body), OLD_TOKEN, rotating).records).toHaveLength(1);
    expect(rejection(() => readSalesforceDelivery(delivery(body), OLD_TOKEN, AUTH)).statusCode).toBe(401);
  });

  it("round-trips the sample builder used by `npm run webhook -- --provider salesforce`", () => {
    const sample = buildSalesforceDelivery({
      url: URL_,
      organizationId: "00D000000000062AAA",
      notifications: [
        { id: "04l000000000009AAA", sObjectType: "Account", fields: { Name: `<O'Brien & "Sons">` } },
        { id: "04l00000000000A", sObjectType: "Account", fields: { Customer_Status__c: "Won Back" } },
      ],
    });
    const { records } = readSalesforceDelivery(sample, TOKEN, AUTH);
    expect(records.map((record) => record.deliveryId)).toEqual([
      "salesforce-00D000000000062-04l000000000009AAA",
      "salesforce-00D000000000062-04l00000000000A",
    ]);
    expect(records[0]!.fields.Name).toBe(`<O'Brien & "Sons">`);
  });

  describe("tampered copies start nothing", () => {
    const genuine = fixture("salesforce-outbound-message.xml");
    it.each([
      ["a wrong token", "sf_4f9c2b7e1d8a6b3c5e7f9a1b2c3d4e5e", 401],
      ["a token that is a prefix of the real one", TOKEN.slice(0, -1), 401],
      ["no token", undefined, 401],
    ])("%s → %i", (_, token, status) => {
      expect(rejection(() => readSalesforceDelivery(delivery(genuine), token, AUTH)).statusCode).toBe(status);
    });

    it("another organization's id → 403 UnknownSender", () => {
      const body = genuine.replace(
        "<OrganizationId>00D000000000062AAA",
        "<OrganizationId>00D000000000099AAA",
      );
      const error = rejection(() => readSalesforceDelivery(delivery(body), TOKEN, AUTH));
      expect([error.statusCode, error.reason]).toEqual([403, "UnknownSender"]);
    });

    it("an organization id differing only in letter case → 403 (15-character ids are case-sensitive)", () => {
      const body = genuine.replace(
        "<OrganizationId>00D000000000062AAA",
        "<OrganizationId>00d000000000062AAA",
      );
      expect(rejection(() => readSalesforceDelivery(delivery(body), TOKEN, AUTH)).statusCode).toBe(403);
    });
  });

  describe("hostile input gets a 4xx before anything is acted on", () => {
    it("billion laughs (entity expansion) → 400 naming the DOCTYPE", () => {
      const error = rejection(() =>
        readSalesforceDelivery(delivery(fixture("salesforce-billion-laughs.xml")), TOKEN, AUTH),
      );
      expect([error.statusCode, error.reason]).toEqual([400, "InvalidBody"]);
      expect(error.message).toMatch(/DOCTYPE/);
    });

    it("an external entity (file:///etc/passwd) → 400, nothing read", () => {
      const error = rejection(() =>
        readSalesforceDelivery(delivery(fixture("salesforce-external-entity.xml")), TOKEN, AUTH),
      );
      expect(error.statusCode).toBe(400);
      expect(error.message).not.toMatch(/root:/);
    });

    it("a hostile body without the token is refused on the token, before it is parsed (401)", () => {
      expect(
        rejection(() => readSalesforceDelivery(delivery(fixture("salesforce-billion-laughs.xml")), "x", AUTH))
          .statusCode,
      ).toBe(401);
    });

    it("an entity reference with no DTD at all → 400", () => {
      const body = fixture("salesforce-outbound-message.xml").replace("Sarah&apos;s", "&xxe;");
      expect(rejection(() => readSalesforceDelivery(delivery(body), TOKEN, AUTH)).message).toMatch(/&xxe;/);
    });

    it.each(["application/json", "application/soap+xml", "text/html", "text/xml; charset=iso-8859-1"])(
      "content-type %s → 415",
      (contentType) => {
        const body = fixture("salesforce-outbound-message.xml");
        expect(
          rejection(() => readSalesforceDelivery(delivery(body, contentType), TOKEN, AUTH)).statusCode,
        ).toBe(415);
      },
    );

    it("an oversized body → 413", () => {
      const body = fixture("salesforce-outbound-message.xml").replace(
        "<sf:Name>",
        `<sf:Name>${"a".repeat(SALESFORCE_MAX_BODY_BYTES)}`,
      );
      expect(rejection(() => readSalesforceDelivery(delivery(body), TOKEN, AUTH)).statusCode).toBe(413);
    });

    it.each([
      ["not XML", "{}"],
      [
        "a SOAP body without notifications",
        `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>`,
      ],
      [
        "notifications in the wrong namespace",
        fixture("salesforce-outbound-message.xml").replace(OUTBOUND_NAMESPACE, "urn:other"),
      ],
      [
        "a duplicated Notification",
        fixture("salesforce-outbound-message.xml").replace(/(<Notification>[\s\S]*<\/Notification>)/, "$1$1"),
      ],
      [
        "no Notification",
        fixture("salesforce-outbound-message.xml").replace(/<Notification>[\s\S]*<\/Notification>/, ""),
      ],
      [
        "a processing instruction",
        fixture("salesforce-outbound-message.xml").replace(
          "<soapenv:Body>",
          '<?xml-stylesheet href="x"?><soapenv:Body>',
        ),
      ],
      ["deep nesting", `<a>${"<b>".repeat(100)}${"</b>".repeat(100)}</a>`],
    ])("%s → 400", (_, body) => {
      expect(rejection(() => readSalesforceDelivery(delivery(body), TOKEN, AUTH)).statusCode).toBe(400);
    });
  });
});

describe("salesforceAckResponse", () => {
  it("is the documented notificationsResponse with Ack true, as text/xml", () => {
    const response = salesforceAckResponse();
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/xml; charset=utf-8");
    const envelope = parseStrictXml(SALESFORCE_ACK_BODY);
    const ack = envelope.children[0]!.children[0]!;
    expect([ack.localName, ack.namespace]).toEqual(["notificationsResponse", OUTBOUND_NAMESPACE]);
    expect(ack.children.map((child) => [child.localName, child.text])).toEqual([["Ack", "true"]]);
  });
});
