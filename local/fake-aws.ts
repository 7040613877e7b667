// The one fake account and region the local stack runs in, and the ARNs it makes up for template resources.
import { createHash } from "node:crypto";

export const LOCAL_REGION = "us-east-1";
export const LOCAL_ACCOUNT_ID = "000000000000";
export const LOCAL_PARTITION = "aws";

/** The fake Lambda ARN carries the function's logical id, so errors and history name the CDK construct. */
export function lambdaFunctionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${logicalId}`;
}

export function stateMachineArn(name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`;
}

export function executionArn(stateMachineName: string, executionName: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:${stateMachineName}:${executionName}`;
}

/** Like Secrets Manager: the name plus a 6-character suffix (here stable, derived from the name). */
export function secretArn(name: string): string {
  const suffix = createHash("sha256").update(name).digest("base64url").replace(/[-_]/g, "x").slice(0, 6);
  return `${secretPartialArn(name)}-${suffix}`;
}

/** The ARN CDK writes for a secret imported by name (`Secret.fromSecretNameV2`): no random suffix. */
export function secretPartialArn(name: string): string {
  return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:${name}`;
}
