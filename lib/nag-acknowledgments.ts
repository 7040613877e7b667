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
