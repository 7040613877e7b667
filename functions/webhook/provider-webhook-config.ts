// The provider routes' environment, checked at cold start with an error naming the variable. CRM_MAPPING is the
// validated config/crm-mapping.json the CDK app put there at synth (lib/crm-provider-routes.ts).
import { ConfigurationError } from "../platform/errors.js";
import { type CrmMapping, parseCrmMappingJson } from "./providers/crm-mapping.js";

export interface ProviderWebhookConfig {
  readonly mapping: CrmMapping;
  readonly providerSecretArn: string;
  readonly onboardingStateMachineArn: string;
  readonly offboardingRequestStateMachineArn: string;
  readonly graceSeconds: number;
  readonly requiresApproval: boolean;
}

const STATE_MACHINE_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:[^:\s]{1,80}$/;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`Environment variable ${name} is not set`);
  return value;
}

function stateMachineArn(env: NodeJS.ProcessEnv, name: string): string {
  const value = required(env, name);
  if (!STATE_MACHINE_ARN.test(value))
    throw new ConfigurationError(`Environment variable ${name} must be a state machine ARN, got "${value}"`);
  return value;
}

export function readProviderWebhookConfig(env: NodeJS.ProcessEnv): ProviderWebhookConfig {
  const mapping = parseCrmMappingJson(required(env, "CRM_MAPPING"), "environment variable CRM_MAPPING");
  const grace = required(env, "OFFBOARDING_GRACE_SECONDS");
  if (!/^\d{1,8}$/.test(grace))
    throw new ConfigurationError(
      `Environment variable OFFBOARDING_GRACE_SECONDS must be whole seconds, got "${grace}"`,
    );
  const approval = required(env, "OFFBOARDING_REQUIRES_APPROVAL");
  if (approval !== "true" && approval !== "false")
    throw new ConfigurationError(`Environment variable OFFBOARDING_REQUIRES_APPROVAL must be true or false`);
  return {
    mapping,
    providerSecretArn: required(env, "CRM_PROVIDER_SECRET_ARN"),
    onboardingStateMachineArn: stateMachineArn(env, "ONBOARDING_STATE_MACHINE_ARN"),
    offboardingRequestStateMachineArn: stateMachineArn(env, "OFFBOARDING_REQUEST_STATE_MACHINE_ARN"),
    graceSeconds: Number(grace),
    requiresApproval: approval === "true",
  };
}
