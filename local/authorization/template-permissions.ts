// What the synthesized template says about permissions, resolved to the ARNs the local endpoints see: each role's
// identity policies, each resource's own policy, which customer-managed key encrypts which resource, and which role
// each function, schedule and managed policy stands for.
import type { CfnResource, SynthesizedStack } from "../cloudformation-template.js";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../fake-aws.js";
import { TemplateResolver } from "../template-resolver.js";
import type { PolicyDocument } from "./policy-evaluator.js";

/** The account root ARN: a key policy naming it delegates to IAM policies. */
export const ACCOUNT_ROOT_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:root`;

/** AWS managed policies the template attaches, as AWS publishes them (only what the local stack needs to know). */
const AWS_MANAGED_POLICIES: Record<string, PolicyDocument> = {
  "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "*",
      },
    ],
  },
};

/** An identity that can make calls: a role of the template, or a managed policy (the operator's). */
export interface TemplatePrincipal {
  /** Logical id of the role or managed policy. */
  readonly logicalId: string;
  /** Role ARN (what key and resource policies name); for a managed policy, the policy ARN. */
  readonly arn: string;
  readonly policies: PolicyDocument[];
}

export interface TemplatePermissions {
  /** Roles and managed policies (by logical id). */
  readonly principals: ReadonlyMap<string, TemplatePrincipal>;
  /** Resource policies by the resource's ARN (KMS key, queue, topic, event bus, secret). */
  readonly resourcePolicies: ReadonlyMap<string, PolicyDocument[]>;
  /** Customer-managed key ARN by the ARN of the resource it encrypts (state machine, table, secret, queue, topic). */
  readonly encryptionKeys: ReadonlyMap<string, string>;
  /** Function logical id → role logical id. */
  readonly functionRoles: ReadonlyMap<string, string>;
  /** Schedule logical id → role logical id (the role EventBridge Scheduler assumes). */
  readonly scheduleRoles: ReadonlyMap<string, string>;
  /** KMS key ARNs. */
  readonly keys: ReadonlySet<string>;
  /** Table ARN → its partition key attribute (for `dynamodb:LeadingKeys`). */
  readonly partitionKeys: ReadonlyMap<string, string>;
  /** State machine ARN → the logical id of the role it runs as. */
  readonly stateMachineRoles: ReadonlyMap<string, string>;
}

/** Raised for a template construct the local authorization cannot model faithfully. */
export class UnmodelledTemplatePermission extends Error {
  override readonly name = "UnmodelledTemplatePermission";
}

export function templatePermissions(
  stacks: readonly SynthesizedStack[],
  resourceNames: Readonly<Record<string, string>> = {},
): TemplatePermissions {
  const principals = new Map<string, TemplatePrincipal>();
  const resourcePolicies = new Map<string, PolicyDocument[]>();
  const encryptionKeys = new Map<string, string>();
  const functionRoles = new Map<string, string>();
  const scheduleRoles = new Map<string, string>();
  const keys = new Set<string>();
  const partitionKeys = new Map<string, string>();
  const stateMachineRoles = new Map<string, string>();

  for (const stack of stacks) {
    const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName, resourceNames });
    const resources = Object.entries(stack.template.Resources ?? {});
    const arnOf = (logicalId: string) =>
      resolver.resolveString({ "Fn::GetAtt": [logicalId, "Arn"] }, logicalId);
    const document = (value: unknown, where: string) => resolver.resolve(value, where) as PolicyDocument;
    const principal = (logicalId: string, arn: string): TemplatePrincipal => {
      let found = principals.get(logicalId);
      if (!found) {
        found = { logicalId, arn, policies: [] };
        principals.set(logicalId, found);
      }
      return found;
    };
    const addResourcePolicy = (arn: string, policy: PolicyDocument) =>
      resourcePolicies.set(arn, [...(resourcePolicies.get(arn) ?? []), policy]);
    const referencedIds = (value: unknown, where: string): string[] =>
      ((value as unknown[] | undefined) ?? []).map((entry) => {
        const ref = (entry as { Ref?: unknown }).Ref;
        if (typeof ref !== "string")
          throw new UnmodelledTemplatePermission(`${where}: only { Ref: <logical id> } entries are modelled`);
        return ref;
      });
    const managedPolicies = new Map<string, PolicyDocument>();

    for (const [logicalId, resource] of resources) {
      if (resource.Type === "AWS::IAM::Role") principal(logicalId, arnOf(logicalId));
    }
    for (const [logicalId, resource] of resources) {
      const properties = resource.Properties ?? {};
      const where = `${logicalId}.Properties`;
      switch (resource.Type) {
        case "AWS::IAM::Role": {
          const role = principal(logicalId, arnOf(logicalId));
          for (const [i, inline] of ((properties.Policies as { PolicyDocument: unknown }[]) ?? []).entries())
            role.policies.push(document(inline.PolicyDocument, `${where}.Policies[${i}]`));
          break;
        }
        case "AWS::IAM::Policy":
          for (const roleId of referencedIds(properties.Roles, `${where}.Roles`))
            principal(roleId, arnOf(roleId)).policies.push(document(properties.PolicyDocument, where));
          if (properties.Users || properties.Groups)
            throw new UnmodelledTemplatePermission(`${where}: policies attached to users or groups`);
          break;
        case "AWS::IAM::ManagedPolicy": {
          const policy = document(properties.PolicyDocument, where);
          managedPolicies.set(logicalId, policy);
          // The managed policy itself is a principal: whoever it is attached to outside the stack (ops --local).
          principal(logicalId, managedPolicyArn(logicalId)).policies.push(policy);
          for (const roleId of referencedIds(properties.Roles, `${where}.Roles`))
            principal(roleId, arnOf(roleId)).policies.push(policy);
          break;
        }
        case "AWS::KMS::Key": {
          const arn = arnOf(logicalId);
          keys.add(arn);
          addResourcePolicy(arn, document(properties.KeyPolicy, `${where}.KeyPolicy`));
          break;
        }
        case "AWS::SQS::QueuePolicy":
          for (const queueId of referencedIds(properties.Queues, `${where}.Queues`))
            addResourcePolicy(arnOf(queueId), document(properties.PolicyDocument, where));
          break;
        case "AWS::SNS::TopicPolicy":
          for (const topicId of referencedIds(properties.Topics, `${where}.Topics`))
            addResourcePolicy(arnOf(topicId), document(properties.PolicyDocument, where));
          break;
        case "AWS::Events::EventBusPolicy": {
          const bus = resolver.resolveString(properties.EventBusName ?? "default", `${where}.EventBusName`);
          const arn = `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${bus}`;
          if (properties.Statement)
            addResourcePolicy(arn, { Statement: [document(properties.Statement, where) as never] });
          break;
        }
        case "AWS::SecretsManager::ResourcePolicy":
          addResourcePolicy(
            resolver.resolveString(properties.SecretId, `${where}.SecretId`),
            document(properties.ResourcePolicy, where),
          );
          break;
        case "AWS::DynamoDB::Table": {
          const hash = (
            properties.KeySchema as { AttributeName: string; KeyType: string }[] | undefined
          )?.find((element) => element.KeyType === "HASH");
          if (hash) partitionKeys.set(arnOf(logicalId), hash.AttributeName);
          break;
        }
        case "AWS::Lambda::Function":
          functionRoles.set(logicalId, roleLogicalId(properties.Role, `${where}.Role`));
          break;
        case "AWS::StepFunctions::StateMachine":
          stateMachineRoles.set(
            resolver.resolveString({ Ref: logicalId }, logicalId),
            roleLogicalId(properties.RoleArn, `${where}.RoleArn`),
          );
          break;
        case "AWS::Scheduler::Schedule":
          scheduleRoles.set(
            logicalId,
            roleLogicalId((properties.Target as { RoleArn?: unknown })?.RoleArn, `${where}.Target.RoleArn`),
          );
          break;
      }
      const key = encryptionKeyOf(resource);
      if (key !== undefined) {
        const keyArn = resolver.resolveString(key, `${where} encryption key`);
        const encrypted =
          resource.Type === "AWS::StepFunctions::StateMachine" ||
          resource.Type === "AWS::SecretsManager::Secret"
            ? resolver.resolveString({ Ref: logicalId }, logicalId)
            : arnOf(logicalId);
        encryptionKeys.set(encrypted, keyArn);
      }
    }
    for (const [logicalId, resource] of resources) {
      if (resource.Type !== "AWS::IAM::Role") continue;
      for (const arn of (resource.Properties?.ManagedPolicyArns as unknown[]) ?? []) {
        const ref = (arn as { Ref?: unknown }).Ref;
        const attached =
          typeof ref === "string"
            ? managedPolicies.get(ref)
            : AWS_MANAGED_POLICIES[resolver.resolveString(arn, `${logicalId}.ManagedPolicyArns`)];
        if (!attached)
          throw new UnmodelledTemplatePermission(
            `${logicalId}.ManagedPolicyArns: ${JSON.stringify(arn)} is not known to the local stack; add it to AWS_MANAGED_POLICIES`,
          );
        principal(logicalId, arnOf(logicalId)).policies.push(attached);
      }
    }
  }
  return {
    principals,
    resourcePolicies,
    encryptionKeys,
    functionRoles,
    scheduleRoles,
    keys,
    partitionKeys,
    stateMachineRoles,
  };
}

export function managedPolicyArn(logicalId: string): string {
  return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:policy/${logicalId}`;
}

/** The customer-managed key a resource declares, if any (AWS-owned and AWS-managed keys need no permission). */
function encryptionKeyOf(resource: CfnResource): unknown {
  const properties = resource.Properties ?? {};
  switch (resource.Type) {
    case "AWS::StepFunctions::StateMachine": {
      const configuration = properties.EncryptionConfiguration as
        | { Type?: string; KmsKeyId?: unknown }
        | undefined;
      return configuration?.Type === "CUSTOMER_MANAGED_KMS_KEY" ? configuration.KmsKeyId : undefined;
    }
    case "AWS::DynamoDB::Table": {
      const sse = properties.SSESpecification as
        | { SSEEnabled?: boolean; KMSMasterKeyId?: unknown }
        | undefined;
      return sse?.SSEEnabled ? sse.KMSMasterKeyId : undefined;
    }
    case "AWS::SecretsManager::Secret":
      return properties.KmsKeyId;
    case "AWS::SQS::Queue":
    case "AWS::SNS::Topic":
      return isAwsManagedAlias(properties.KmsMasterKeyId) ? undefined : properties.KmsMasterKeyId;
    default:
      return undefined;
  }
}

function isAwsManagedAlias(key: unknown): boolean {
  return typeof key === "string" && key.startsWith("alias/aws/");
}

function roleLogicalId(roleArn: unknown, where: string): string {
  const getAtt = (roleArn as { "Fn::GetAtt"?: unknown } | undefined)?.["Fn::GetAtt"];
  if (Array.isArray(getAtt) && getAtt[1] === "Arn" && typeof getAtt[0] === "string") return getAtt[0];
  throw new UnmodelledTemplatePermission(`${where}: expected { "Fn::GetAtt": [<role>, "Arn"] }`);
}
