// The workflow suite's engine harness enforces the template's policies (test/support/harness-enforcement.ts): with
// the create-key function's secretsmanager:GetSecretValue grant removed, its step is refused as on AWS
// (AccessDeniedException), the onboarding fails, and the refusal names the action and the role.
import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../lib/build-app.js";
import { type OnboardingHarness, startOnboardingHarness } from "../../support/onboarding-harness.js";

const CREATE_KEY_POLICY = "Onboarding/Functions/CreateKey/Function/ServiceRole/DefaultPolicy";
const DENIED_ACTION = "secretsmanager:GetSecretValue";

/** The stack, with `action` taken out of the create-key function's role policy. */
function withoutCreateKeySecretGrant(app: Parameters<typeof buildApp>[0]) {
  const built = buildApp(app);
  const visit = (construct: IConstruct) => {
    if (construct instanceof iam.CfnPolicy && construct.node.path.includes(CREATE_KEY_POLICY)) {
      const document = Stack.of(construct).resolve(construct.policyDocument) as {
        Statement: { Action: string | string[] }[];
      };
      construct.addPropertyOverride(
        "PolicyDocument.Statement",
        document.Statement.map((statement) => ({
          ...statement,
          Action: [statement.Action].flat().filter((action) => action !== DENIED_ACTION),
        })),
      );
    }
    construct.node.children.forEach(visit);
  };
  visit(app);
  return built;
}

let h: OnboardingHarness;
beforeAll(async () => {
  h = await startOnboardingHarness({ maxRps: 20, buildApp: withoutCreateKeySecretGrant });
}, 120_000);
afterAll(() => h?.close());

describe("the engine harness enforces the template's policies", () => {
  it("refuses the create-key step's secret read when its role lacks the grant, and the onboarding fails", async () => {
    const ended = await h.run({ practiceId: "harness-denied", devRefId: "Denied Dental" });
    expect(ended.status).toBe("FAILED");
    expect(h.denials).toContainEqual(
      expect.objectContaining({
        deniedAction: DENIED_ACTION,
        principal: expect.stringMatching(/^OnboardingFunctionsCreateKeyFunctionServiceRole/),
        errorType: "AccessDeniedException",
      }),
    );
    expect(h.simulator?.calls().filter((call) => call.method === "POST")).toEqual([]);
  }, 60_000);
});
