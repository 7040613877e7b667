// Each workflow's state machine runs as its own role, and Step Functions encrypts and decrypts that execution's data
// with the customer-managed key under that role, in the encryption context aws:states:stateMachineArn = the state
// machine's ARN (https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html). CDK writes that
// grant from the state machine's name; an unnamed state machine got `…:stateMachine:` (no name), a condition no
// execution ever matches. These tests read the synthesized template.
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../lib/build-app.js";
import { stateMachineRoleDenials } from "../../local/authorization/state-machine-roles.js";
import { templatePermissions } from "../../local/authorization/template-permissions.js";
import type { CfnResource, CfnTemplate, SynthesizedStack } from "../../local/cloudformation-template.js";
import { synthesizeTemplates } from "../../local/synthesize.js";
import { TemplateResolver } from "../../local/template-resolver.js";

const CONTEXT_KEY = "kms:EncryptionContext:aws:states:stateMachineArn";

interface PolicyStatement {
  readonly Action: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

let stack: SynthesizedStack;
beforeAll(() => {
  [stack] = synthesizeTemplates(buildApp) as [SynthesizedStack];
}, 120_000);

function resources(template: CfnTemplate) {
  return Object.entries(template.Resources ?? {});
}

const propertiesOf = (resource: CfnResource) => resource.Properties ?? {};

/** The state machines encrypted with a customer-managed key, with the logical id of the role each runs as. */
function encryptedStateMachines(template: CfnTemplate): { machine: string; role: string }[] {
  return resources(template)
    .filter(
      ([, resource]) =>
        resource.Type === "AWS::StepFunctions::StateMachine" &&
        (propertiesOf(resource).EncryptionConfiguration as { Type?: string } | undefined)?.Type ===
          "CUSTOMER_MANAGED_KMS_KEY",
    )
    .map(([machine, resource]) => ({
      machine,
      role: (propertiesOf(resource).RoleArn as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0],
    }));
}

/** The statements of the identity policies attached to `role`. */
function statementsOfRole(template: CfnTemplate, role: string): PolicyStatement[] {
  return resources(template)
    .filter(([, resource]) => resource.Type === "AWS::IAM::Policy")
    .map(([, resource]) => propertiesOf(resource))
    .filter((properties) =>
      ((properties.Roles ?? []) as { Ref?: string }[]).some((entry) => entry.Ref === role),
    )
    .flatMap((properties) => (properties.PolicyDocument as { Statement: PolicyStatement[] }).Statement);
}

/** Every value the role's policies give the state machine encryption context key, resolved to plain ARNs. */
function contextValuesOfRole(template: CfnTemplate, role: string): string[] {
  const resolver = new TemplateResolver(template, { stackName: stack.stackName });
  return statementsOfRole(template, role)
    .filter((statement) => [statement.Action].flat().includes("kms:GenerateDataKey"))
    .flatMap((statement) => {
      const value = statement.Condition?.StringEquals?.[CONTEXT_KEY];
      return value === undefined ? [] : [resolver.resolveString(value, `${role} ${CONTEXT_KEY}`)];
    });
}

describe("each state machine's role may use the key for its own execution data", () => {
  it("the template has the four workflows' encrypted state machines, each named", () => {
    const machines = encryptedStateMachines(stack.template);
    expect(machines).toHaveLength(4);
    for (const { machine } of machines)
      expect(stack.template.Resources?.[machine]?.Properties?.StateMachineName).toMatch(
        /^PracticeOnboarding-(Onboarding|Offboarding|Reconciliation|OffboardingRequest)$/,
      );
  });

  it("every state machine role's KMS condition names exactly its own state machine's ARN", () => {
    const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName });
    for (const { machine, role } of encryptedStateMachines(stack.template)) {
      const ownArn = resolver.resolveString({ Ref: machine }, machine);
      expect(ownArn).toMatch(/:stateMachine:PracticeOnboarding-\w+$/);
      expect(contextValuesOfRole(stack.template, role), role).toEqual([ownArn]);
    }
  });

  it("the local authorization agrees: no state machine's role is refused its key", () => {
    expect(stateMachineRoleDenials(templatePermissions([stack]))).toEqual([]);
  });

  it("the local authorization refuses the grant CDK wrote for unnamed state machines (`…:stateMachine:`)", () => {
    const template = structuredClone(stack.template) as CfnTemplate;
    for (const { role } of encryptedStateMachines(template))
      for (const statement of statementsOfRole(template, role)) {
        const equals = statement.Condition?.StringEquals;
        if (equals?.[CONTEXT_KEY] !== undefined)
          equals[CONTEXT_KEY] = "arn:aws:states:us-east-1:000000000000:stateMachine:";
      }
    const denials = stateMachineRoleDenials(templatePermissions([{ ...stack, template }]));
    // Each of the four, for both kms:GenerateDataKey and kms:Decrypt.
    expect(denials).toHaveLength(8);
    expect(denials.join("\n")).toContain("is not authorized to perform: kms:GenerateDataKey");
  });
});
