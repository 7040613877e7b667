// POSTs a sample provider delivery (local/provider-deliveries.ts) and reads the answer: JSON for HubSpot and
// errors, the SOAP Ack (text) for Salesforce.
import type { SampleDelivery } from "./provider-deliveries.js";

export interface ProviderResponse {
  readonly status: number;
  readonly contentType: string;
  /** Parsed JSON when the answer is JSON, the text otherwise. */
  readonly body: unknown;
}

export async function sendProviderDelivery(delivery: SampleDelivery): Promise<ProviderResponse> {
  const response = await fetch(delivery.url, {
    method: delivery.method,
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  const contentType = response.headers.get("content-type") ?? "";
  let body: unknown = text;
  if (contentType.startsWith("application/json")) {
    try {
      body = JSON.parse(text);
    } catch {
      // Keep the text.
    }
  }
  return { status: response.status, contentType, body };
}

/** The execution ARNs a HubSpot answer names (one per mapped event). */
export function executionArnsOf(response: ProviderResponse): string[] {
  const results = (response.body as { results?: { executionArn?: string }[] } | null)?.results ?? [];
  return results.flatMap((result) => (result.executionArn ? [result.executionArn] : []));
}
