// The autoIssueActivationLinks option: off by default (nothing deployed), on by context — a rule on the domain bus
// for PracticeOnboarded, its function with exactly the grants issuing a link needs, retries and a dead-letter queue.
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { buildApp, CONTEXT_KEYS } from "../../lib/build-app.js";

function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [], ...context } });
  return Template.fromStack(buildApp(app));
}

const autoIssueRules = (template: Template) =>
  Object.values(template.findResources("AWS::Events::Rule")).filter((rule) =>
    JSON.stringify(rule).includes("PracticeOnboarded"),
  );

describe("autoIssueActivationLinks", () => {
  it("deploys nothing when it is not set (the default)", () => {
    const template = synth();
    expect(autoIssueRules(template)).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain("activation-auto-issue");
  });

  it("adds a PracticeOnboarded rule on the domain bus whose function may issue links (and write their event to the outbox), nothing more", () => {
    const template = synth({ [CONTEXT_KEYS.autoIssueActivationLinks]: "true" });
    const [rule] = autoIssueRules(template) as [{ Properties: Record<string, unknown> }];
    expect(rule.Properties).toMatchObject({
      EventPattern: { source: ["practice-onboarding"], "detail-type": ["PracticeOnboarded"] },
      EventBusName: { Ref: expect.stringMatching(/^EventsBus/) },
      Targets: [
        expect.objectContaining({
          RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 8 },
          DeadLetterConfig: { Arn: expect.anything() },
        }),
      ],
    });
    const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes("ActivationAutoIssue"),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions.filter((a) => a.startsWith("dynamodb:")).sort()).toEqual([
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]);
    // PracticeActivationLinkIssued goes into the outbox with the link (OUTBOX#…), not onto the bus.
    expect(actions.filter((a) => a.startsWith("events:"))).toEqual([]);
    expect(actions.filter((a) => /^(secretsmanager|states|dynamodb:Query|dynamodb:Scan)/.test(a))).toEqual(
      [],
    );
    const table = statements.find((s) => [s.Action].flat().includes("dynamodb:GetItem"))!;
    expect(table.Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["ACTIVATION#*", "PRACTICE#*", "OUTBOX#*"] },
    });
  });

  it("refuses a context value that is not true or false, by name", () => {
    expect(() => synth({ [CONTEXT_KEYS.autoIssueActivationLinks]: "yes" })).toThrow(
      'Context value "autoIssueActivationLinks" must be true or false, got "yes"',
    );
  });
});
