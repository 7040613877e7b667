import type { App } from "aws-cdk-lib";
import { PracticeOnboardingStack } from "./practice-onboarding-stack.js";

/** Context keys read by the app; every one is optional. */
export const CONTEXT_KEYS = {
  stackName: "stackName",
  portalSecretName: "portalSecretName",
  webhookSecretName: "webhookSecretName",
  portalBaseUrl: "portalBaseUrl",
  portalMaxRps: "portalMaxRps",
  reconciliationSchedule: "reconciliationSchedule",
  alarmEmail: "alarmEmail",
  crmMappingFile: "crmMappingFile",
  crmProviderSecretName: "crmProviderSecretName",
  offboardingGraceSeconds: "offboardingGraceSeconds",
  offboardingRequiresApproval: "offboardingRequiresApproval",
  autoIssueActivationLinks: "autoIssueActivationLinks",
  keepLegacyStatusIndex: "keepLegacyStatusIndex",
} as const;

function optionalBoolean(app: App, key: string): boolean | undefined {
  const value = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new Error(`Context value "${key}" must be true or false, got ${JSON.stringify(value)}`);
}

function optionalString(app: App, key: string): string | undefined {
  const value = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new Error(`Context value "${key}" must be a string, got ${typeof value}`);
  return value;
}

function optionalPositiveNumber(app: App, key: string): number | undefined {
  const value = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  const parsed = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`Context value "${key}" must be a positive number, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Builds the app's one stack from context; shared by bin/app.ts, the local stack and the tests. */
export function buildApp(app: App): PracticeOnboardingStack {
  return new PracticeOnboardingStack(
    app,
    optionalString(app, CONTEXT_KEYS.stackName) ?? "PracticeOnboarding",
    {
      portalCredentialsSecretName: optionalString(app, CONTEXT_KEYS.portalSecretName),
      webhookSecretName: optionalString(app, CONTEXT_KEYS.webhookSecretName),
      portalBaseUrl: optionalString(app, CONTEXT_KEYS.portalBaseUrl),
      portalMaxRps: optionalPositiveNumber(app, CONTEXT_KEYS.portalMaxRps),
      reconciliationSchedule: optionalString(app, CONTEXT_KEYS.reconciliationSchedule),
      alarmEmail: optionalString(app, CONTEXT_KEYS.alarmEmail),
      crmMappingFile: optionalString(app, CONTEXT_KEYS.crmMappingFile),
      crmProviderSecretName: optionalString(app, CONTEXT_KEYS.crmProviderSecretName),
      offboardingGraceSeconds: optionalPositiveNumber(app, CONTEXT_KEYS.offboardingGraceSeconds),
      offboardingRequiresApproval: optionalBoolean(app, CONTEXT_KEYS.offboardingRequiresApproval),
      keepLegacyStatusIndex: optionalBoolean(app, CONTEXT_KEYS.keepLegacyStatusIndex),
      autoIssueActivationLinks: optionalBoolean(app, CONTEXT_KEYS.autoIssueActivationLinks),
      env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    },
  );
}
