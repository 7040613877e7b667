// Stack output names: the stack declares them (lib/practice-onboarding-stack.ts), `ops` reads them through
// CloudFormation and the local stack writes them to `.local/endpoints.json` (docs/architecture.md §5).
export const STACK_OUTPUTS = {
  tableName: "TableName",
  onboarding: "OnboardingStateMachineArn",
  offboarding: "OffboardingStateMachineArn",
  reconciliation: "ReconciliationStateMachineArn",
  /** CRM "churned" requests waiting out their grace period (lib/offboarding-request-workflow.ts). */
  offboardingRequest: "OffboardingRequestStateMachineArn",
  /** HubSpot client secrets and Salesforce path tokens (lib/crm-provider-routes.ts). */
  crmProviderSecret: "CrmProviderSecretArn",
  portalSecret: "PortalSecretArn",
  webhookSecret: "WebhookSecretArn",
  portalBaseUrl: "PortalBaseUrl",
  webhookUrl: "WebhookUrl",
  eventBusName: "EventBusName",
  alarmTopic: "AlarmTopicArn",
  /** The CMK of the stored CustomerKeys (docs/architecture.md §4). */
  keyCustodyKey: "KeyCustodyKeyArn",
  /** The secret of the key fingerprints: `ops` (import-keys, migrate-keys) addresses the ledger with it. */
  keyFingerprintSecret: "KeyFingerprintSecretArn",
  /** Base URL (ending in `/`) that activation links start with: `<base>activate/<token>`. */
  activationBaseUrl: "ActivationBaseUrl",
  /** The operators' managed policy (lib/operator-policy.ts): attach it to whoever runs ops. */
  operatorPolicy: "OperatorPolicyArn",
  /** The key administrators' managed policy (lib/key-administrator-policy.ts): ops import, status's live view. */
  keyAdministratorPolicy: "KeyAdministratorPolicyArn",
} as const;
