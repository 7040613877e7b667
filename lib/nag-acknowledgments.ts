// cdk-nag findings on wildcard resources are acknowledged one resource at a time, by the text cdk-nag derives
// from the template. This renders that text from the token, so the acknowledgment names exactly one resource.
import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** Mirrors cdk-nag's flattenCfnReference: strings as-is, Join joined, Ref/GetAtt as `<…>`, the rest as JSON. */
function flatten(node: unknown): string {
  if (node === undefined) return "";
  if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/}/g, ">");
  const value = node as Record<string, unknown>;
  if (Array.isArray(value["Fn::Join"])) {
    const [delimiter, items] = value["Fn::Join"] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if ("Fn::Sub" in value) return flatten(value["Fn::Sub"]);
  if (Array.isArray(value["Fn::GetAtt"])) {
    const [resource, attribute] = value["Fn::GetAtt"] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if ("Fn::ImportValue" in value) return flatten(value["Fn::ImportValue"]);
  if ("Ref" in value) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
}

/** Acknowledges AwsSolutions-IAM5 for one wildcard resource ARN (a token is fine) granted under `scope`. */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const text = flatten(Stack.of(scope).resolve(resourceArn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${text}]`, reason });
}

/** HIPAA IAMNoInlinePolicy for the inline default policy CDK attaches to one role of ours. */
export function acknowledgeCdkInlinePolicy(role: IConstruct, reason: string): void {
  Validations.of(role).acknowledge({ id: "HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy", reason });
}

/**
 * The findings on a workflow's state machine role that CDK's own grants raise: X-Ray and log delivery (`*`),
 * each invoked function's `:*` versions, and the role's inline default policy.
 */
export function acknowledgeStateMachineRole(
  stateMachine: IConstruct & { readonly role: IConstruct },
  invokedFunctionArns: readonly string[],
): void {
  acknowledgeWildcardResource(
    stateMachine,
    "*",
    "X-Ray tracing and CloudWatch Logs delivery take no resource-level permissions.",
  );
  for (const functionArn of invokedFunctionArns) {
    acknowledgeWildcardResource(
      stateMachine,
      `${functionArn}:*`,
      "CDK's LambdaInvoke grants the function's versions and aliases as well as the function.",
    );
  }
  acknowledgeCdkInlinePolicy(
    stateMachine.role,
    "The state machine's role holds exactly its own grants as CDK's inline default policy, deleted with it.",
  );
}

/** AwsSolutions-IAM5 for the KMS wildcard actions every item read/write on the CMK-encrypted table needs. */
export function acknowledgeTableKeyActions(fn: IConstruct): void {
  for (const action of ["kms:GenerateDataKey*", "kms:ReEncrypt*"]) {
    Validations.of(fn).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
      reason:
        "The table's items are encrypted with the customer-managed key: what CDK's grantReadWriteData grants.",
    });
  }
}
