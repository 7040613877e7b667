// What every provider delivery becomes once verified and mapped: one normalized lifecycle request per event.
// The route starts (or finds) one execution per `deliveryId`, as the Standard Webhooks route does.

export const CRM_PROVIDERS = ["hubspot", "salesforce"] as const;
export type CrmProvider = (typeof CRM_PROVIDERS)[number];

export const LIFECYCLE_KINDS = ["onboard", "churn", "win-back"] as const;
export type LifecycleKind = (typeof LIFECYCLE_KINDS)[number];

export interface LifecycleRequest {
  readonly provider: CrmProvider;
  /** The provider's own identity of this event, stable across its redeliveries: the idempotency key. */
  readonly deliveryId: string;
  /** When the provider says the change happened (ISO 8601): the ordering rule compares this. */
  readonly issuedAt: string;
  readonly kind: LifecycleKind;
  readonly practiceId: string;
  readonly devRefId?: string;
}

/**
 * One event of a verified delivery before mapping: its identity, its time, and its fields as flat strings
 * (HubSpot event properties, Salesforce sObject fields) that the mapping refers to by name.
 */
export interface ProviderRecord {
  readonly provider: CrmProvider;
  readonly deliveryId: string;
  /** ISO 8601, or undefined when the provider's event carries no time of its own. */
  readonly issuedAt?: string;
  readonly fields: Readonly<Record<string, string>>;
}
