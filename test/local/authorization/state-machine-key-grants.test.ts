// Every principal of the synthesized template that may start, describe or read the history of an execution of a
// state machine encrypted with a customer-managed key also holds what Step Functions asks KMS for on its behalf:
// kms:GenerateDataKey (start) / kms:Decrypt (read) on that key, for that state machine.
// https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../lib/build-app.js";
import { TemplateAuthorizer } from "../../../local/authorization/authorizer.js";
import { stateMachineOfExecution } from "../../../local/authorization/kms-requirements.js";
import {
  type TemplatePermissions,
  templatePermissions,
} from "../../../local/authorization/template-permissions.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";

const READS = ["states:DescribeExecution", "states:GetExecutionHistory", "states:StopExecution"];

let permissions: TemplatePermissions;
beforeAll(() => {
  permissions = templatePermissions(synthesizeTemplates(buildApp));
}, 120_000);

function encryptedStateMachines(): string[] {
  return [...permissions.encryptionKeys.keys()].filter((arn) => arn.includes(":stateMachine:"));
}

/** Every (principal, action, resource) where the principal's own policies allow the Step Functions call. */
function stepFunctionsCallsAllowed(): { principal: string; action: string; resource: string }[] {
  const authorizer = new TemplateAuthorizer({ ...permissions, encryptionKeys: new Map() });
  const calls: { principal: string; action: string; resource: string }[] = [];
  for (const machine of encryptedStateMachines()) {
    const execution = machine.replace(":stateMachine:", ":execution:").concat(":some-execution");
    expect(stateMachineOfExecution(execution)).toBe(machine);
    for (const principal of permissions.principals.keys()) {
      const candidates = [
        { action: "states:StartExecution", resource: machine },
        ...READS.map((action) => ({ action, resource: execution })),
      ];
      for (const call of candidates)
        if (authorizer.authorize({ principal, ...call }).allowed) calls.push({ principal, ...call });
    }
  }
  return calls;
}

describe("principals that use a CMK-encrypted state machine hold its key", () => {
  it("finds the callers at all (the webhook starts onboarding, the schedule starts reconciliation)", () => {
    const callers = new Set(stepFunctionsCallsAllowed().map((call) => call.principal));
    expect([...callers].some((id) => id.startsWith("CrmWebhook"))).toBe(true);
    expect([...callers].some((id) => id.startsWith("ReconciliationScheduleRole"))).toBe(true);
  });

  it("every such call is also allowed the KMS operation Step Functions makes with the caller's permissions", () => {
    const authorizer = new TemplateAuthorizer(permissions);
    const refused = stepFunctionsCallsAllowed()
      .map((call) => ({ call, decision: authorizer.authorize(call) }))
      .filter(({ decision }) => !decision.allowed)
      .map(
        ({ call, decision }) =>
          `${call.principal} ${call.action}: ${decision.allowed ? "" : decision.message}`,
      );
    expect(refused).toEqual([]);
  });
});
