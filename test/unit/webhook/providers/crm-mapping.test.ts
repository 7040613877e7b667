// The declarative CRM mapping: the shipped config validates, a bad one fails with the path that is wrong, and
// verified provider deliveries (the documented fixtures) map to normalized lifecycle requests.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../../functions/platform/errors.js";
import {
  type CrmMapping,
  loadCrmMappingFile,
  mapDelivery,
  parseCrmMapping,
  parseCrmMappingJson,
} from "../../../../functions/webhook/providers/crm-mapping.js";
import { readHubSpotDelivery } from "../../../../functions/webhook/providers/hubspot-delivery.js";
import { readSalesforceDelivery } from "../../../../functions/webhook/providers/salesforce-outbound-message.js";
import { hubspotDealStageEvent, signHubSpotDelivery } from "../../../../local/provider-deliveries.js";

const CONFIG_PATH = new URL("../../../../config/crm-mapping.json", import.meta.url).pathname;
const SHIPPED = loadCrmMappingFile(CONFIG_PATH);
const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");
const NOW = new Date("2025-03-04T10:15:30.000Z");
const SECRET = "client-secret";
const URL_ = "https://api.example.com/webhooks/hubspot";

function configurationError(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

// What the file holds before validation, so a test can break it in any way (wrong types included).
type RawMapping = {
  hubspot: NonNullable<CrmMapping["hubspot"]>;
  salesforce: NonNullable<CrmMapping["salesforce"]>;
};

function withChange(change: (mapping: RawMapping) => void): unknown {
  const copy = JSON.parse(readFileSync(CONFIG_PATH, "utf8")) as RawMapping;
  change(copy);
  return copy;
}

describe("parseCrmMapping", () => {
  it("accepts the shipped config/crm-mapping.json", () => {
    expect(SHIPPED.hubspot?.rules).toHaveLength(3);
    expect(SHIPPED.salesforce?.allowedOrganizationIds).toEqual(["00D000000000062"]);
  });

  it.each([
    [
      "an unknown kind",
      (m: RawMapping) => Object.assign(m.hubspot.rules[0]!, { kind: "offboard" }),
      "hubspot.rules[0].kind must be one of onboard, churn, win-back",
    ],
    [
      "a typo in a key",
      (m: RawMapping) => Object.assign(m.salesforce, { practiceID: m.salesforce.practiceId }),
      "salesforce",
    ],
    [
      "a missing practice id field",
      (m: RawMapping) => Reflect.deleteProperty(m.hubspot.practiceId, "field"),
      "hubspot.practiceId.field",
    ],
    [
      "an empty rule list",
      (m: RawMapping) => Object.assign(m.salesforce, { rules: [] }),
      "salesforce.rules must hold at least one rule",
    ],
    [
      "an empty when",
      (m: RawMapping) => Object.assign(m.hubspot.rules[1]!, { when: {} }),
      "hubspot.rules[1].when must name at least one field",
    ],
    [
      "an empty value list",
      (m: RawMapping) => Object.assign(m.hubspot.rules[2]!.when, { propertyValue: [] }),
      "hubspot.rules[2].when.propertyValue",
    ],
    [
      "a bad organization id",
      (m: RawMapping) => Object.assign(m.salesforce, { allowedOrganizationIds: ["00D-nope"] }),
      "salesforce.allowedOrganizationIds[0] must be a 15- or 18-character",
    ],
    [
      "a prefix with a space",
      (m: RawMapping) => Object.assign(m.hubspot.practiceId, { prefix: "hub spot" }),
      "hubspot.practiceId.prefix",
    ],
    [
      "no provider at all",
      (m: RawMapping) => Reflect.deleteProperty(m, "hubspot") && Reflect.deleteProperty(m, "salesforce"),
      "must configure hubspot, salesforce or both",
    ],
  ])("rejects %s, naming the path", (_, change, expected) => {
    const message = configurationError(() => parseCrmMapping(withChange(change), "config/crm-mapping.json"));
    expect(message).toMatch(/^config\/crm-mapping\.json: /);
    expect(message).toContain(expected);
  });

  it("rejects two rules with the same conditions and different kinds", () => {
    const mapping = withChange((m) => {
      m.salesforce.rules.push({
        when: { Customer_Status__c: "Churned", sObjectType: ["Account"] },
        kind: "onboard",
      });
    });
    expect(configurationError(() => parseCrmMapping(mapping, "x.json"))).toBe(
      'x.json: salesforce.rules[3] has the same "when" as salesforce.rules[1] but kind "onboard" instead of "churn"',
    );
  });

  it("names the source when the text is not JSON", () => {
    expect(configurationError(() => parseCrmMappingJson("{", "CRM_MAPPING"))).toMatch(
      /^CRM_MAPPING: not valid JSON/,
    );
  });
});

describe("mapDelivery", () => {
  it("HubSpot 'deal won' (the documented event shape) → onboard the deal's practice", () => {
    const delivery = signHubSpotDelivery({
      url: URL_,
      clientSecret: SECRET,
      events: JSON.parse(fixture("hubspot-deal-won.json")),
      timestamp: NOW,
    });
    const mapped = mapDelivery(
      "hubspot",
      SHIPPED.hubspot!,
      readHubSpotDelivery(delivery, [SECRET], NOW),
      NOW,
    );
    expect(mapped).toEqual({
      requests: [
        {
          provider: "hubspot",
          deliveryId: "hubspot-33-31-1246990-3816279512-1462216309012",
          issuedAt: "2016-05-02T19:11:49.012Z",
          kind: "onboard",
          practiceId: "hubspot-deal-1246990",
        },
      ],
      ignored: [],
      invalid: [],
    });
  });

  it("HubSpot: the documented contact events match no rule and are ignored, not refused", () => {
    const delivery = signHubSpotDelivery({
      url: URL_,
      clientSecret: SECRET,
      events: JSON.parse(fixture("hubspot-documented-events.json")),
      timestamp: NOW,
    });
    const mapped = mapDelivery(
      "hubspot",
      SHIPPED.hubspot!,
      readHubSpotDelivery(delivery, [SECRET], NOW),
      NOW,
    );
    expect(mapped.requests).toEqual([]);
    expect(mapped.ignored.map((item) => item.reason)).toEqual([
      "no mapping rule matches this event",
      "no mapping rule matches this event",
    ]);
  });

  it("HubSpot: churned and won-back stages in one batch → churn and win-back, each with its own delivery id", () => {
    const events = [
      hubspotDealStageEvent({ dealId: 5, stage: "churned", eventId: 1, occurredAt: NOW }),
      hubspotDealStageEvent({
        dealId: 5,
        stage: "wonback",
        eventId: 2,
        occurredAt: new Date(NOW.getTime() + 1),
      }),
    ];
    const delivery = signHubSpotDelivery({ url: URL_, clientSecret: SECRET, events, timestamp: NOW });
    const { requests } = mapDelivery(
      "hubspot",
      SHIPPED.hubspot!,
      readHubSpotDelivery(delivery, [SECRET], NOW),
      NOW,
    );
    expect(requests.map((request) => [request.kind, request.practiceId])).toEqual([
      ["churn", "hubspot-deal-5"],
      ["win-back", "hubspot-deal-5"],
    ]);
    expect(new Set(requests.map((request) => request.deliveryId)).size).toBe(2);
  });

  it("Salesforce 'churned' (the documented message shape) → churn with DevRefId and the record's own time", () => {
    const { records } = readSalesforceDelivery(
      {
        method: "POST",
        url: "https://api.example.com/webhooks/salesforce/t",
        headers: { "content-type": "text/xml; charset=utf-8" },
        body: fixture("salesforce-outbound-message.xml"),
      },
      "t",
      { tokens: ["t"], allowedOrganizationIds: SHIPPED.salesforce!.allowedOrganizationIds },
    );
    expect(mapDelivery("salesforce", SHIPPED.salesforce!, records, NOW).requests).toEqual([
      {
        provider: "salesforce",
        deliveryId: "salesforce-00D000000000062-04l000000000001AAA",
        issuedAt: "2025-03-04T10:15:30.000Z",
        kind: "churn",
        practiceId: "practice-001",
        devRefId: "Sarah's Super Dental & Ortho",
      },
    ]);
  });

  const salesforce = (fields: Record<string, string>) => ({
    provider: "salesforce" as const,
    deliveryId: "salesforce-00D000000000062-04l000000000001AAA",
    fields: {
      sObjectType: "Account",
      Customer_Status__c: "Active",
      LastModifiedDate: "2025-03-04T10:15:30Z",
      ...fields,
    },
  });

  it.each([
    ["the practice id field is missing", {}, "field Practice_Id__c (practice id) is missing"],
    [
      "the practice id has characters a practice id cannot",
      { Practice_Id__c: "practice 001/../x" },
      "practiceId must be",
    ],
    [
      "the DevRefId has a control character",
      { Practice_Id__c: "p-1", Name: "a\u0000b" },
      "devRefId must not contain control",
    ],
    [
      "the issued-at field is not a date-time",
      { Practice_Id__c: "p-1", LastModifiedDate: "yesterday" },
      "(issued at)",
    ],
    [
      "the issued-at field is more than five minutes ahead of the receipt (it would outrank every later request)",
      { Practice_Id__c: "p-1", LastModifiedDate: "2025-03-04T11:15:30Z" },
      "field LastModifiedDate (issued at) 2025-03-04T11:15:30.000Z is ahead of this server's clock",
    ],
  ])("a matched record is invalid (to alarm on) when %s", (_, fields, reason) => {
    const mapped = mapDelivery("salesforce", SHIPPED.salesforce!, [salesforce(fields)], NOW);
    expect(mapped.requests).toEqual([]);
    expect(mapped.invalid).toHaveLength(1);
    expect(mapped.invalid[0]!.reason).toContain(reason);
  });

  it("uses the receipt time only when neither the provider nor the mapping gives one", () => {
    const mapping: CrmMapping["salesforce"] = { ...SHIPPED.salesforce!, issuedAt: undefined };
    const { requests } = mapDelivery("salesforce", mapping!, [salesforce({ Practice_Id__c: "p-1" })], NOW);
    expect(requests[0]!.issuedAt).toBe(NOW.toISOString());
  });
});
