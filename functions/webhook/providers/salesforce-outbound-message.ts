// A Salesforce Outbound Message delivery: a SOAP 1.1 `notifications` call, unsigned. It is authenticated by a
// secret token in the URL path (compared in constant time, two accepted during a rotation) and by the sending
// organization's id (an allow-list), then read with the strict XML reader (no DTD, no entities).
//
// Message shape (Salesforce SOAP API guide, "Understanding the Outbound Messaging WSDL",
// https://developer.salesforce.com/docs/platform/api/guide/sforce-api-om-outboundmessaging-wsdl.html):
// notifications { OrganizationId, ActionId, SessionId (nillable), EnterpriseUrl, PartnerUrl,
// Notification (maxOccurs 100) { Id, sObject xsi:type="sf:<Object>" { <selected fields> } } }, answered by
// notificationsResponse { Ack: true } acknowledging every notification in the message; without the Ack,
// Salesforce redelivers (for up to 24 hours). Idempotency: each Notification's Id, which the guide says to use
// to recognize a notification already processed.
import { constantTimeIncludes } from "./constant-time.js";
import { DeliveryRejected } from "./delivery-rejected.js";
import { bodyText, type HttpDelivery, requireMediaType } from "./http-delivery.js";
import type { ProviderRecord } from "./lifecycle-request.js";
import { localPart, parseStrictXml, type XmlElement, XmlRejected } from "./strict-xml.js";

export const SALESFORCE_MAX_BODY_BYTES = 512 * 1024;
export const SALESFORCE_MAX_NOTIFICATIONS = 100;
export const SOAP_ENVELOPE_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/";
export const OUTBOUND_NAMESPACE = "http://soap.sforce.com/2005/09/outbound";

/** A Salesforce record id: 15 case-sensitive characters, or 18 with the case-safe suffix. */
export const SALESFORCE_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

export interface SalesforceAuth {
  /** Path tokens, newest first (both during a rotation). */
  readonly tokens: readonly string[];
  /** Organization ids allowed to send, 15 or 18 characters. */
  readonly allowedOrganizationIds: readonly string[];
}

export interface SalesforceDelivery {
  readonly organizationId: string;
  readonly actionId: string;
  /** One record per Notification, fields named as in the sObject (plus sObjectType, OrganizationId, ActionId). */
  readonly records: ProviderRecord[];
}

/** The documented acknowledgement; send it only once every notification's request is safely started. */
export const SALESFORCE_ACK_BODY =
  '<?xml version="1.0" encoding="UTF-8"?>' +
  `<soapenv:Envelope xmlns:soapenv="${SOAP_ENVELOPE_NAMESPACE}"><soapenv:Body>` +
  `<notificationsResponse xmlns="${OUTBOUND_NAMESPACE}"><Ack>true</Ack></notificationsResponse>` +
  "</soapenv:Body></soapenv:Envelope>";

export function salesforceAckResponse(): { statusCode: 200; headers: Record<string, string>; body: string } {
  return {
    statusCode: 200,
    headers: { "content-type": "text/xml; charset=utf-8" },
    body: SALESFORCE_ACK_BODY,
  };
}

/** The 15-character, case-sensitive part that identifies a record (an 18-character id only adds a checksum). */
function caseSensitiveId(id: string): string {
  return id.slice(0, 15);
}

function children(parent: XmlElement, namespace: string, localName: string): XmlElement[] {
  return parent.children.filter((child) => child.namespace === namespace && child.localName === localName);
}

function only(parent: XmlElement, namespace: string, localName: string, where: string): XmlElement {
  const found = children(parent, namespace, localName);
  if (found.length !== 1) {
    throw new DeliveryRejected("InvalidBody", `${where} must contain exactly one ${localName} element`);
  }
  return found[0]!;
}

function isNil(element: XmlElement): boolean {
  for (const [name, value] of element.attributes) {
    if (localPart(name) === "nil" && name.includes(":") && (value === "true" || value === "1")) return true;
  }
  return false;
}

function xsiType(element: XmlElement): string | undefined {
  for (const [name, value] of element.attributes) {
    if (name.includes(":") && localPart(name) === "type") return localPart(value.trim());
  }
  return undefined;
}

/**
 * Checks, authenticates and reads one Outbound Message. Order: media type (415), size (413), path token (401)
 * — all before the body is parsed — then the XML (400) and the organization allow-list (403).
 */
export function readSalesforceDelivery(
  delivery: HttpDelivery,
  pathToken: string | undefined,
  auth: SalesforceAuth,
): SalesforceDelivery {
  requireMediaType(delivery, "text/xml");
  const body = bodyText(delivery, SALESFORCE_MAX_BODY_BYTES);
  if (!pathToken || !constantTimeIncludes(auth.tokens, pathToken)) {
    throw new DeliveryRejected("InvalidSignature", "the URL's token does not match a configured token");
  }

  let envelope: XmlElement;
  try {
    envelope = parseStrictXml(body);
  } catch (error) {
    if (error instanceof XmlRejected)
      throw new DeliveryRejected("InvalidBody", `XML refused: ${error.message}`);
    throw error;
  }
  if (envelope.namespace !== SOAP_ENVELOPE_NAMESPACE || envelope.localName !== "Envelope") {
    throw new DeliveryRejected("InvalidBody", "body must be a SOAP 1.1 Envelope");
  }
  const soapBody = only(envelope, SOAP_ENVELOPE_NAMESPACE, "Body", "Envelope");
  const notifications = only(soapBody, OUTBOUND_NAMESPACE, "notifications", "Body");
  const text = (name: string) => only(notifications, OUTBOUND_NAMESPACE, name, "notifications").text.trim();

  const organizationId = text("OrganizationId");
  if (!SALESFORCE_ID.test(organizationId)) {
    throw new DeliveryRejected("InvalidBody", "OrganizationId must be a 15- or 18-character Salesforce id");
  }
  const allowed = auth.allowedOrganizationIds.map(caseSensitiveId);
  if (!constantTimeIncludes(allowed, caseSensitiveId(organizationId))) {
    throw new DeliveryRejected("UnknownSender", `organization ${organizationId} is not allowed to send`);
  }
  const actionId = text("ActionId");

  const notificationElements = children(notifications, OUTBOUND_NAMESPACE, "Notification");
  if (notificationElements.length < 1 || notificationElements.length > SALESFORCE_MAX_NOTIFICATIONS) {
    throw new DeliveryRejected(
      "InvalidBody",
      `notifications must hold 1-${SALESFORCE_MAX_NOTIFICATIONS} Notification elements, got ${notificationElements.length}`,
    );
  }
  const seen = new Set<string>();
  const records = notificationElements.map((notification, index): ProviderRecord => {
    const where = `Notification[${index}]`;
    const id = only(notification, OUTBOUND_NAMESPACE, "Id", where).text.trim();
    if (!SALESFORCE_ID.test(id)) {
      throw new DeliveryRejected("InvalidBody", `${where}.Id must be a 15- or 18-character Salesforce id`);
    }
    if (seen.has(id)) throw new DeliveryRejected("InvalidBody", `${where}.Id ${id} appears twice`);
    seen.add(id);
    const sObject = only(notification, OUTBOUND_NAMESPACE, "sObject", where);
    const sObjectType = xsiType(sObject);
    if (!sObjectType) throw new DeliveryRejected("InvalidBody", `${where}.sObject has no xsi:type`);
    const fields: Record<string, string> = {
      sObjectType,
      OrganizationId: organizationId,
      ActionId: actionId,
    };
    for (const field of sObject.children) {
      // Fields are scalars; a nil field is absent. Nested elements are not part of an outbound message.
      if (field.children.length === 0 && !isNil(field)) fields[field.localName] = field.text;
    }
    return {
      provider: "salesforce",
      deliveryId: `salesforce-${caseSensitiveId(organizationId)}-${id}`,
      fields,
    };
  });
  return { organizationId, actionId, records };
}
