// The CRM provider routes and the offboarding request workflow as the stack synthesizes them: the routes, the
// function's exact grants, the mapping carried into CRM_MAPPING (and refused when invalid), the grace period and
// the approval switch from context.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { loadCrmMappingFile } from "../../functions/webhook/providers/crm-mapping.js";
import { buildApp, CONTEXT_KEYS } from "../../lib/build-app.js";
import { PROJECT_ROOT } from "../../lib/handler-function.js";
import { checkCrmMappings } from "../../local/crm-provider-secrets-local.js";

type Resource = { Type: string; Properties: Record<string, unknown> };

function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [], ...context } });
  return Template.fromStack(buildApp(app));
}

const template = synth();
const resources = template.toJSON().Resources as Record<string, Resource>;
const providerFunctionId = Object.keys(resources).find(
  (id) => resources[id]!.Type === "AWS::Lambda::Function" && id.startsWith("CrmProvidersHandler"),
)!;
const providerFunction = resources[providerFunctionId]!;
const environment = (providerFunction.Properties.Environment as { Variables: Record<string, unknown> })
  .Variables;

/** Every statement of the function's role, with Ref/GetAtt left as they are (compared by logical id). */
function statementsOf(roleRef: unknown) {
  const roleId = (roleRef as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  return Object.values(resources)
    .filter(
      (resource) =>
        resource.Type === "AWS::IAM::Policy" &&
        JSON.stringify(resource.Properties.Roles).includes(`"${roleId}"`),
    )
    .flatMap(
      (policy) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement,
    );
}

function resourcesFor(action: string): string {
  return JSON.stringify(
    statementsOf(providerFunction.Properties.Role)
      .filter((statement) => [statement.Action].flat().includes(action))
      .map((statement) => statement.Resource),
  );
}

const machineId = (prefix: string) =>
  Object.keys(resources).find(
    (id) => resources[id]!.Type === "AWS::StepFunctions::StateMachine" && id.startsWith(prefix),
  )!;

describe("CRM provider routes", () => {
  it("serves POST /webhooks/hubspot and POST /webhooks/salesforce/{token} from the provider function", () => {
    const routeKeys = Object.values(resources)
      .filter((resource) => resource.Type === "AWS::ApiGatewayV2::Route")
      .map((resource) => resource.Properties.RouteKey);
    expect(routeKeys).toEqual(
      expect.arrayContaining([
        "POST /webhooks/hubspot",
        "POST /webhooks/salesforce/{token}",
        "POST /webhooks/crm",
      ]),
    );
  });

  it("grants exactly: start onboarding and requests, list requests, look both up, stop requests only, read its secret", () => {
    const actions = new Set(statementsOf(providerFunction.Properties.Role).flatMap((s) => [s.Action].flat()));
    expect([...actions].sort()).toEqual(
      [
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "states:DescribeExecution",
        "states:ListExecutions",
        "states:StartExecution",
        "states:StopExecution",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
      ].sort(),
    );
    const onboarding = machineId("OnboardingStateMachine");
    const requests = machineId("OffboardingRequestStateMachine");
    const offboarding = machineId("OffboardingStateMachine");
    expect(resourcesFor("states:StartExecution")).toContain(onboarding);
    expect(resourcesFor("states:StartExecution")).toContain(requests);
    expect(resourcesFor("states:StartExecution")).not.toContain(`"${offboarding}"`);
    // Executions of the request workflow only: a won-back can cancel a request, never an onboarding.
    expect(resourcesFor("states:StopExecution")).toContain(":execution:");
    expect(resourcesFor("states:StopExecution")).toContain(requests);
    expect(resourcesFor("states:StopExecution")).not.toContain(onboarding);
    expect(resourcesFor("states:ListExecutions")).toContain(requests);
    expect(resourcesFor("secretsmanager:GetSecretValue")).toContain("CrmProvidersProviderSecret");
  });

  it("carries config/crm-mapping.json, validated, into CRM_MAPPING with the default grace and no approval", () => {
    const shipped = loadCrmMappingFile(path.join(PROJECT_ROOT, "config/crm-mapping.json"));
    expect(JSON.parse(String(environment.CRM_MAPPING))).toEqual(shipped);
    expect(environment.OFFBOARDING_GRACE_SECONDS).toBe(String(7 * 24 * 3600));
    expect(environment.OFFBOARDING_REQUIRES_APPROVAL).toBe("false");
    expect(() =>
      checkCrmMappings([{ stackName: "PracticeOnboarding", template: template.toJSON() }]),
    ).not.toThrow();
  });

  it("the request waits until $.runAt, then starts the offboarding", () => {
    const definition = JSON.stringify(resources[machineId("OffboardingRequestStateMachine")]!.Properties);
    expect(definition).toContain('\\"TimestampPath\\":\\"$.runAt\\"');
    expect(definition).toContain("StartOffboarding");
    expect(definition).not.toContain("AwaitApproval");
  });
});

describe("CRM configuration from context", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "crm-mapping-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("offboardingRequiresApproval and offboardingGraceSeconds change the request workflow and the function", () => {
    const configured = synth({
      [CONTEXT_KEYS.offboardingRequiresApproval]: "true",
      [CONTEXT_KEYS.offboardingGraceSeconds]: "30",
    });
    const all = configured.toJSON().Resources as Record<string, Resource>;
    const request = Object.entries(all).find(
      ([id, r]) => r.Type === "AWS::StepFunctions::StateMachine" && id.startsWith("OffboardingRequest"),
    )![1];
    const definition = JSON.stringify(request.Properties);
    expect(definition).toContain("AwaitApproval");
    expect(definition).toContain("ApprovalExpired");
    expect(definition).not.toContain("StartOffboarding");
    configured.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: { OFFBOARDING_GRACE_SECONDS: "30", OFFBOARDING_REQUIRES_APPROVAL: "true" } },
    });
    expect(() => synth({ [CONTEXT_KEYS.offboardingRequiresApproval]: "maybe" })).toThrow(
      /offboardingRequiresApproval" must be true or false/,
    );
  });

  it("a mapping that is not JSON fails synth naming the file; one that breaks the schema fails the start check naming the path", () => {
    const notJson = path.join(dir, "not-json.json");
    writeFileSync(notJson, "{ hubspot: ");
    expect(() => synth({ [CONTEXT_KEYS.crmMappingFile]: notJson })).toThrow(
      /not-json\.json is not valid JSON/,
    );

    const badRule = path.join(dir, "bad-rule.json");
    writeFileSync(
      badRule,
      JSON.stringify({
        hubspot: {
          practiceId: { field: "objectId" },
          rules: [{ when: { dealstage: "won" }, kind: "celebrate" }],
        },
      }),
    );
    expect(() => loadCrmMappingFile(badRule)).toThrow(/hubspot\.rules\[0\]\.kind must be one of/);
    const synthesized = synth({ [CONTEXT_KEYS.crmMappingFile]: badRule }).toJSON();
    expect(() => checkCrmMappings([{ stackName: "PracticeOnboarding", template: synthesized }])).toThrow(
      /CRM mapping .*hubspot\.rules\[0\]\.kind must be one of/,
    );
  });
});

describe("the provider path is watched like the Standard Webhooks path", () => {
  const alarms = Object.values(resources).filter((resource) => resource.Type === "AWS::CloudWatch::Alarm");
  const alarmJson = (alarm: Resource) => JSON.stringify(alarm.Properties);

  it("a failed, timed-out or aborted offboarding request execution alarms (a churned practice would stay billed)", () => {
    const requests = machineId("OffboardingRequest")!;
    const watching = alarms.filter((alarm) => alarmJson(alarm).includes(`"Ref":"${requests}"`));
    const metrics = watching.map((alarm) => String(alarm.Properties.MetricName));
    expect(metrics.sort()).toEqual(["ExecutionsAborted", "ExecutionsFailed", "ExecutionsTimedOut"]);
  });

  it("the provider function's errors count toward the webhook 5xx alarm", () => {
    const webhook5xx = alarms.filter((alarm) => alarmJson(alarm).includes("Webhook5xx"));
    expect(webhook5xx).toHaveLength(1);
    expect(alarmJson(webhook5xx[0]!)).toContain(`"Ref":"${providerFunctionId}"`);
  });
});
