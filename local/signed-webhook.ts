// Signs and sends a CRM delivery the way a Standard Webhooks sender does (used by `npm run webhook`, the demo, tests).
import { randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { ONBOARDING_REQUESTED } from "../functions/webhook/crm-webhook-request.js";

export interface CrmDeliveryRequest {
  readonly practiceId: string;
  readonly devRefId?: string;
  /** `webhook-id`; redeliveries reuse it. @default a new `msg_…` id */
  readonly webhookId?: string;
  /** Event type. @default practice.onboarding.requested */
  readonly type?: string;
  /** Signing time. @default now */
  readonly timestamp?: Date;
}

export interface SignedDelivery {
  readonly webhookId: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Builds the body and the three Standard Webhooks headers for one delivery. */
export function signCrmDelivery(secret: string, request: CrmDeliveryRequest): SignedDelivery {
  const webhookId = request.webhookId ?? `msg_${randomUUID().replaceAll("-", "")}`;
  const timestamp = request.timestamp ?? new Date();
  const body = JSON.stringify({
    type: request.type ?? ONBOARDING_REQUESTED,
    timestamp: timestamp.toISOString(),
    data: {
      practiceId: request.practiceId,
      ...(request.devRefId === undefined ? {} : { devRefId: request.devRefId }),
    },
  });
  const signature = new Webhook(secret).sign(webhookId, timestamp, body);
  return {
    webhookId,
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": webhookId,
      "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "webhook-signature": signature,
    },
  };
}

export interface DeliveryResponse {
  readonly webhookId: string;
  readonly status: number;
  readonly body: unknown;
}

/** POSTs a signed delivery and returns the status and parsed JSON body. */
export async function sendCrmDelivery(
  webhookUrl: string,
  secret: string,
  request: CrmDeliveryRequest,
): Promise<DeliveryResponse> {
  const delivery = signCrmDelivery(secret, request);
  const response = await fetch(webhookUrl, {
    method: "POST",
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Keep the text: an error page is still worth showing.
  }
  return { webhookId: delivery.webhookId, status: response.status, body };
}
