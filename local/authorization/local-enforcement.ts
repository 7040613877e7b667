// Everything the local stack needs to enforce the synthesized template's IAM and KMS policies: the permissions
// model, the caller recording, the DynamoDB proxy, the AWS JSON endpoint's check and the schedule's start.
import type { IncomingHttpHeaders } from "node:http";
import { STACK_OUTPUTS } from "../../contracts/stack-outputs.js";
import type { Body, RefusedRequest } from "../aws-json-endpoint.js";
import type { SynthesizedStack } from "../cloudformation-template.js";
import { secretArn } from "../fake-aws.js";
import type { KmsAuthorizer } from "../kms/local-kms.js";
import { recordFunctionRequests, roleAccessKeyId } from "./caller-identity.js";
import { type DynamoDbProxy, startDynamoDbProxy } from "./dynamodb-proxy.js";
import { LocalAuthorization, type LocalDenial } from "./local-authorization.js";
import { eventBridgeRequests, secretsManagerRequests, stepFunctionsRequests } from "./service-requests.js";
import { StateMachineRoleCannotUseItsKey, stateMachineRoleDenials } from "./state-machine-roles.js";
import {
  type TemplatePermissions,
  type TemplatePrincipal,
  templatePermissions,
} from "./template-permissions.js";

/** The identities `ops --local` signs as (`--local-role`): people with the stack's managed policies attached. */
const OPS_OPERATOR = "ops operator (OperatorPolicy)";
const OPS_KEY_ADMINISTRATOR = "ops key administrator (OperatorPolicy + KeyAdministratorPolicy)";

/**
 * Adds the two people `ops --local` stands for, found by the stack outputs that name their managed policies: the
 * operator (the operator policy alone) and the key administrator (both policies attached, as the README says).
 */
function withOpsPrincipals(
  permissions: TemplatePermissions,
  templates: readonly SynthesizedStack[],
): TemplatePermissions {
  const policyOfOutput = (output: string): TemplatePrincipal | undefined => {
    for (const stack of templates) {
      const ref = (stack.template.Outputs?.[output]?.Value as { Ref?: unknown } | undefined)?.Ref;
      if (typeof ref === "string") return permissions.principals.get(ref);
    }
    return undefined;
  };
  const operator = policyOfOutput(STACK_OUTPUTS.operatorPolicy);
  const keyAdministrator = policyOfOutput(STACK_OUTPUTS.keyAdministratorPolicy);
  const principals = new Map(permissions.principals);
  if (operator) principals.set(OPS_OPERATOR, { ...operator, logicalId: OPS_OPERATOR });
  if (operator && keyAdministrator)
    principals.set(OPS_KEY_ADMINISTRATOR, {
      logicalId: OPS_KEY_ADMINISTRATOR,
      arn: keyAdministrator.arn,
      policies: [...operator.policies, ...keyAdministrator.policies],
    });
  return { ...permissions, principals };
}

/** What `npm start --no-iam` prints: nothing is authorized, so a missing grant only shows up on AWS. */
export const NO_IAM_WARNING =
  "WARNING: --no-iam: the local stack authorizes nothing; calls AWS would refuse (a missing IAM or KMS grant) succeed here.";

export interface LocalEnforcement {
  readonly permissions: TemplatePermissions;
  readonly authorization: LocalAuthorization;
  /** Give this to the SDK (AWS_ENDPOINT_URL_DYNAMODB, endpoints.json) instead of DynamoDB Local's own. */
  readonly dynamoDbEndpoint: string;
  /** For startLocalAwsEndpoint's `authorize`. */
  authorizeAwsJson(target: string, body: Body, headers: IncomingHttpHeaders): RefusedRequest | undefined;
  /** For LocalKms's `authorize`: the template's key policies and identity policies decide each KMS call. */
  authorizeKms: KmsAuthorizer;
  /** Checks a start the schedule `scheduleLogicalId` makes as its role; undefined when allowed. */
  checkScheduledStart(stateMachineArn: string): LocalDenial | undefined;
  /** Checks the dead-letter send of a start the schedule could not make; undefined when allowed. */
  checkScheduleDeadLetter(queueArn: string): LocalDenial | undefined;
  close(): Promise<void>;
}

export async function startLocalEnforcement(options: {
  readonly templates: readonly SynthesizedStack[];
  readonly resourceNames: Readonly<Record<string, string>>;
  readonly dynamoDbLocalEndpoint: string;
  readonly onDenied?: (denial: LocalDenial) => void;
}): Promise<LocalEnforcement> {
  const permissions = withOpsPrincipals(
    templatePermissions(options.templates, options.resourceNames),
    options.templates,
  );
  const refusedStateMachines = stateMachineRoleDenials(permissions);
  if (refusedStateMachines.length > 0) throw new StateMachineRoleCannotUseItsKey(refusedStateMachines);
  const authorization = new LocalAuthorization(permissions, {
    ...(permissions.principals.has(OPS_OPERATOR) ? { operatorPolicy: OPS_OPERATOR } : {}),
    ...(permissions.principals.has(OPS_KEY_ADMINISTRATOR) ? { keyAdministrator: OPS_KEY_ADMINISTRATOR } : {}),
    ...(options.onDenied ? { onDenied: options.onDenied } : {}),
  });
  const stopRecording = recordFunctionRequests();
  let proxy: DynamoDbProxy;
  try {
    proxy = await startDynamoDbProxy({ target: options.dynamoDbLocalEndpoint, authorization });
  } catch (error) {
    stopRecording();
    throw error;
  }
  const [scheduleRole] = [...permissions.scheduleRoles.values()];
  const asSchedule = (requests: { action: string; resource: string }[]) =>
    scheduleRole
      ? authorization.check(
          "states",
          { authorization: `AWS4-HMAC-SHA256 Credential=${roleAccessKeyId(scheduleRole)}/` },
          requests,
        )
      : undefined;
  return {
    permissions,
    authorization,
    dynamoDbEndpoint: proxy.url,
    authorizeAwsJson(target, body, headers) {
      const [prefix = "", operation = ""] = target.split(".");
      if (prefix === "AWSStepFunctions")
        return authorization.check("states", headers, stepFunctionsRequests(operation, body));
      if (prefix === "secretsmanager")
        return authorization.check(
          "secretsmanager",
          headers,
          // A SecretId is an ARN or a name; the template's secrets have the ARNs fake-aws.ts makes from names.
          secretsManagerRequests(operation, body, (id) => (id.startsWith("arn:") ? id : secretArn(id))),
        );
      if (prefix === "AWSEvents")
        return authorization.check("events", headers, eventBridgeRequests(operation, body));
      return undefined;
    },
    authorizeKms(request) {
      // Over HTTP the headers name the caller (an in-process function, or the signed access key id).
      const headers = request.headers ?? {
        ...(request.accessKeyId
          ? { authorization: `AWS4-HMAC-SHA256 Credential=${request.accessKeyId}/` }
          : {}),
      };
      const denial = authorization.check("kms", headers, [
        { action: request.action, resource: request.resource, context: request.context },
      ]);
      return denial ? denial.message : true;
    },
    checkScheduledStart: (stateMachineArn) =>
      asSchedule(stepFunctionsRequests("StartExecution", { stateMachineArn })),
    checkScheduleDeadLetter: (queueArn) => asSchedule([{ action: "sqs:SendMessage", resource: queueArn }]),
    async close() {
      stopRecording();
      await proxy.close();
    },
  };
}
