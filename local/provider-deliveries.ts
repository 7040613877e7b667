// Builds correctly signed sample deliveries as HubSpot and Salesforce send them, for
// `npm run webhook -- --provider hubspot|salesforce`, the demo and tests. Pure: no network.
import { hubspotSignatureV3 } from "../functions/webhook/providers/hubspot-signature.js";
import {
  OUTBOUND_NAMESPACE,
  SOAP_ENVELOPE_NAMESPACE,
} from "../functions/webhook/providers/salesforce-outbound-message.js";

export interface SampleDelivery {
  readonly method: "POST";
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One Webhooks API event as HubSpot documents it: a deal's `dealstage` changed to `stage`. */
export function hubspotDealStageEvent(options: {
  dealId: number;
  stage: string;
  eventId?: number;
  portalId?: number;
  subscriptionId?: number;
  occurredAt?: Date;
  attemptNumber?: number;
}): Record<string, string | number> {
  return {
    objectId: options.dealId,
    propertyName: "dealstage",
    propertyValue: options.stage,
    changeSource: "CRM_UI",
    eventId: options.eventId ?? Math.floor(Math.random() * 2 ** 31),
    subscriptionId: options.subscriptionId ?? 31,
    portalId: options.portalId ?? 33,
    appId: 1160452,
    occurredAt: (options.occurredAt ?? new Date()).getTime(),
    subscriptionType: "deal.propertyChange",
    attemptNumber: options.attemptNumber ?? 0,
  };
}

/** A Webhooks API POST of `events`, signed with X-HubSpot-Signature-v3 under the app's client secret. */
export function signHubSpotDelivery(options: {
  url: string;
  clientSecret: string;
  events: readonly object[];
  /** Signing time. @default now */
  timestamp?: Date;
}): SampleDelivery {
  const body = JSON.stringify(options.events);
  const timestamp = String((options.timestamp ?? new Date()).getTime());
  const signature = hubspotSignatureV3(options.clientSecret, {
    method: "POST",
    url: options.url,
    body,
    timestamp,
  });
  return {
    method: "POST",
    url: options.url,
    body,
    headers: {
      "content-type": "application/json",
      "x-hubspot-request-timestamp": timestamp,
      "x-hubspot-signature-v3": signature,
    },
  };
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export interface SampleNotification {
  /** Notification Id (04l…): Salesforce keeps it across redeliveries. */
  readonly id: string;
  readonly sObjectType: string;
  /** sObject fields, in the order given. */
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * An Outbound Message POST to `${webhooksBaseUrl}/webhooks/salesforce/${token}` as the Outbound Messaging WSDL
 * defines it. Unsigned, like the real thing: the token in the path is what authenticates it.
 */
export function buildSalesforceDelivery(options: {
  url: string;
  organizationId: string;
  actionId?: string;
  notifications: readonly SampleNotification[];
}): SampleDelivery {
  const notifications = options.notifications
    .map((notification) => {
      const fields = Object.entries(notification.fields)
        .map(([name, value]) => `<sf:${name}>${escapeXml(value)}</sf:${name}>`)
        .join("");
      return (
        `<Notification><Id>${escapeXml(notification.id)}</Id>` +
        `<sObject xsi:type="sf:${escapeXml(notification.sObjectType)}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
        `${fields}</sObject></Notification>`
      );
    })
    .join("");
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENVELOPE_NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><notifications xmlns="${OUTBOUND_NAMESPACE}">` +
    `<OrganizationId>${escapeXml(options.organizationId)}</OrganizationId>` +
    `<ActionId>${escapeXml(options.actionId ?? "04k000000000001AAA")}</ActionId>` +
    '<SessionId xsi:nil="true"/>' +
    "<EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/62.0</EnterpriseUrl>" +
    "<PartnerUrl>https://example.my.salesforce.com/services/Soap/u/62.0</PartnerUrl>" +
    `${notifications}</notifications></soapenv:Body></soapenv:Envelope>`;
  return {
    method: "POST",
    url: options.url,
    body,
    // What Salesforce sends: SOAP 1.1 over text/xml, SOAPAction empty.
    headers: { "content-type": "text/xml; charset=utf-8", soapaction: '""' },
  };
}
