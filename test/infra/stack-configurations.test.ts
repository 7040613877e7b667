// The whole stack as `cdk deploy` builds it from context, in every supported configuration: new or imported
// secrets, with or without an alarm email, custom portal and schedule settings, and a bad value refused by name.
// Then the security-relevant properties of every resource of a kind, so a new resource cannot slip in without them.
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { buildApp, CONTEXT_KEYS } from "../../lib/build-app.js";

type Resources = Record<string, { Properties: Record<string, unknown> }>;

function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [], ...context } });
  return Template.fromStack(buildApp(app));
}

/** Environment variables of every function, by logical id. */
function environments(template: Template): Record<string, Record<string, unknown>> {
  const functions = template.findResources("AWS::Lambda::Function") as Resources;
  return Object.fromEntries(
    Object.entries(functions).map(([id, fn]) => [
      id,
      ((fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {}) as Record<string, unknown>,
    ]),
  );
}

describe("PracticeOnboarding stack configurations", () => {
  it("creates the four secrets, encrypted with the stack's key, when no secret names are given", () => {
    const template = synth();
    // The three named by context, and the key-fingerprint secret (every ledger address depends on it).
    template.resourceCountIs("AWS::SecretsManager::Secret", 4);
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      Name: "practice-onboarding/crm-providers",
      KmsKeyId: Match.anyValue(),
    });
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      Name: "practice-onboarding/portal-credentials",
      KmsKeyId: Match.anyValue(),
    });
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      Name: "practice-onboarding/webhook-signing",
      KmsKeyId: Match.anyValue(),
    });
  });

  it("imports the secrets by name and grants reads on those names when portalSecretName, webhookSecretName and crmProviderSecretName are given", () => {
    const template = synth({
      [CONTEXT_KEYS.portalSecretName]: "acme/portal-creds",
      [CONTEXT_KEYS.webhookSecretName]: "acme/crm-webhook",
      [CONTEXT_KEYS.crmProviderSecretName]: "acme/crm-providers",
    });
    // Only the key-fingerprint secret is always the stack's own.
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
    const policies = JSON.stringify(template.findResources("AWS::IAM::Policy"));
    expect(policies).toContain(":secret:acme/portal-creds-??????");
    expect(policies).toContain(":secret:acme/crm-webhook-??????");
    expect(policies).toContain(":secret:acme/crm-providers-??????");
  });

  it("subscribes the alarm email to the alarm topic when alarmEmail is given", () => {
    const template = synth({ [CONTEXT_KEYS.alarmEmail]: "oncall@example.com" });
    template.resourceCountIs("AWS::SNS::Subscription", 1);
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
    });
  });

  it("has no topic subscription when alarmEmail is not given", () => {
    synth().resourceCountIs("AWS::SNS::Subscription", 0);
  });

  it("hands a custom portalBaseUrl and portalMaxRps to every portal-calling function", () => {
    const template = synth({
      [CONTEXT_KEYS.portalBaseUrl]: "https://portal.example.test/api/v1",
      [CONTEXT_KEYS.portalMaxRps]: "3",
    });
    const portalFunctions = Object.values(environments(template)).filter((env) => "PORTAL_SECRET_ARN" in env);
    expect(portalFunctions.length).toBeGreaterThan(0);
    for (const env of portalFunctions) {
      expect(env).toMatchObject({
        OPEN_DENTAL_BASE_URL: "https://portal.example.test/api/v1",
        PORTAL_MAX_RPS: "3",
      });
    }
  });

  it("uses the default portal URL and one request per second when neither is given", () => {
    const portalFunctions = Object.values(environments(synth())).filter((env) => "PORTAL_SECRET_ARN" in env);
    expect(portalFunctions.length).toBeGreaterThan(0);
    for (const env of portalFunctions) {
      expect(env).toMatchObject({
        OPEN_DENTAL_BASE_URL: "https://api.opendental.com/api/v1",
        PORTAL_MAX_RPS: "1",
      });
    }
  });

  it("schedules reconciliation with a custom reconciliationSchedule", () => {
    synth({ [CONTEXT_KEYS.reconciliationSchedule]: "cron(0 3 * * ? *)" }).hasResourceProperties(
      "AWS::Scheduler::Schedule",
      { ScheduleExpression: "cron(0 3 * * ? *)" },
    );
  });

  it("refuses a portalMaxRps that is not a number, naming the context value", () => {
    expect(() => synth({ [CONTEXT_KEYS.portalMaxRps]: "abc" })).toThrow(
      'Context value "portalMaxRps" must be a positive number, got "abc"',
    );
  });
});

describe("PracticeOnboarding stack security properties", () => {
  const template = synth();

  it("gives every log group a retention period and the customer-managed key", () => {
    const logGroups = Object.entries(template.findResources("AWS::Logs::LogGroup") as Resources);
    expect(logGroups.length).toBeGreaterThan(0);
    const lacking = logGroups
      .filter(([, group]) => !group.Properties.RetentionInDays || !group.Properties.KmsKeyId)
      .map(([id]) => id);
    expect(lacking).toEqual([]);
  });

  it("keeps the practice table recoverable, undeletable and encrypted with the customer-managed key", () => {
    template.resourceCountIs("AWS::DynamoDB::Table", 1);
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true, SSEType: "KMS", KMSMasterKeyId: Match.anyValue() },
    });
  });

  it("makes every state machine STANDARD, traced and logging to a log group", () => {
    const machines = Object.entries(template.findResources("AWS::StepFunctions::StateMachine") as Resources);
    expect(machines).toHaveLength(4);
    for (const [id, machine] of machines) {
      expect({ id, ...machine.Properties }).toMatchObject({
        id,
        StateMachineType: "STANDARD",
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: "ALL",
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
        },
      });
    }
  });

  it("gives every Lambda function a timeout and active X-Ray tracing", () => {
    const functions = Object.entries(template.findResources("AWS::Lambda::Function") as Resources);
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) {
      expect({ id, Timeout: fn.Properties.Timeout, TracingConfig: fn.Properties.TracingConfig }).toEqual({
        id,
        Timeout: expect.any(Number),
        TracingConfig: { Mode: "Active" },
      });
    }
  });
});
