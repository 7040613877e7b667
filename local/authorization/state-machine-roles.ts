// A state machine encrypted with a customer-managed key runs as its own role, and Step Functions uses that role to
// encrypt and decrypt the execution's data with the key (kms:GenerateDataKey, kms:Decrypt, in the encryption
// context aws:states:stateMachineArn = the state machine's ARN). A role that may not do that for its own state
// machine cannot run a single execution on AWS, so the local stack refuses to start with it.
// https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
import { LOCAL_REGION } from "../fake-aws.js";
import { TemplateAuthorizer } from "./authorizer.js";
import type { TemplatePermissions } from "./template-permissions.js";

const EXECUTION_DATA_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"];

/** One line per state machine whose role may not use the key of its own execution data; empty when all may. */
export function stateMachineRoleDenials(permissions: TemplatePermissions): string[] {
  const authorizer = new TemplateAuthorizer(permissions);
  const denials: string[] = [];
  for (const [machine, role] of permissions.stateMachineRoles) {
    const key = permissions.encryptionKeys.get(machine);
    if (!key) continue;
    for (const action of EXECUTION_DATA_ACTIONS) {
      const decision = authorizer.authorize({
        principal: role,
        action,
        resource: key,
        context: {
          "kms:ViaService": `states.${LOCAL_REGION}.amazonaws.com`,
          "kms:EncryptionContext:aws:states:stateMachineArn": machine,
        },
      });
      if (!decision.allowed) denials.push(`${machine} (role ${role}): ${decision.message}`);
    }
  }
  return denials;
}

/** Raised when the template's state machines could not run on AWS: their roles may not use their own key. */
export class StateMachineRoleCannotUseItsKey extends Error {
  override readonly name = "StateMachineRoleCannotUseItsKey";

  constructor(denials: readonly string[]) {
    super(
      `A state machine's own role may not use the key of its execution data, so on AWS none of its executions could run:\n  ${denials.join("\n  ")}`,
    );
  }
}
