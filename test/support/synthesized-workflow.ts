// Reads a workflow out of the synthesized template: its ASL definition (tokens replaced by fake ARNs naming the
// resource) and the exact IAM statements on the roles of its state machine and of each handler function.
import { createRequire } from "node:module";
import { RETRYABLE_ERROR_NAMES } from "../../functions/platform/errors.js";
import { HANDLER_ENTRY_METADATA } from "../../lib/handler-function.js";
import { synthesizedTemplate } from "./practice-table.js";

export type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
};
export type State = Record<string, unknown> & { Type: string };
export type Definition = { States: Record<string, State>; [key: string]: unknown };
export interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
  Condition?: unknown;
}

export const templateResources = () =>
  (synthesizedTemplate() as { Resources: Record<string, Resource> }).Resources;

/** The one state machine whose logical id is `<prefix>StateMachine…` (Offboarding, not OffboardingRequest). */
export function stateMachineResource(prefix: string): [string, Resource] {
  const found = Object.entries(templateResources()).filter(
    ([id, r]) => r.Type === "AWS::StepFunctions::StateMachine" && id.startsWith(`${prefix}StateMachine`),
  );
  if (found.length !== 1)
    throw new Error(`expected one state machine named ${prefix}…, found ${found.length}`);
  return found[0]!;
}

/** The definition with every token replaced by a fake Lambda ARN ending in the logical id it points at. */
export function stateMachineDefinition(prefix: string): Definition {
  const body = stateMachineResource(prefix)[1].Properties!.DefinitionString as {
    "Fn::Join": [string, unknown[]];
  };
  const text = body["Fn::Join"][1]
    .map((part) => {
      if (typeof part === "string") return part;
      const ref = (part as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"]?.[0] ?? "Unknown";
      return `arn:aws:lambda:us-east-1:123456789012:function:${ref}`;
    })
    .join("");
  return JSON.parse(text);
}

/**
 * Logical id of the function built from `entry` (`functions/offboarding/offboarding-claim.ts`); `prefix` (its logical id's
 * start, e.g. `Offboarding`) picks one when several workflows build a function from the same entry.
 */
export function functionLogicalId(entry: string, prefix = ""): string {
  const found = Object.entries(templateResources()).filter(
    ([id, r]) =>
      r.Type === "AWS::Lambda::Function" &&
      r.Metadata?.[HANDLER_ENTRY_METADATA] === entry &&
      id.startsWith(prefix),
  );
  if (found.length !== 1) {
    throw new Error(`expected one function with entry ${entry} under "${prefix}", found ${found.length}`);
  }
  return found[0]![0];
}

/** Every statement of every inline policy attached to `roleLogicalId`, as synthesized. */
export function roleStatements(roleLogicalId: string): Statement[] {
  const statements: Statement[] = [];
  for (const r of Object.values(templateResources())) {
    if (r.Type !== "AWS::IAM::Policy") continue;
    const roles = (r.Properties!.Roles as { Ref: string }[]).map((role) => role.Ref);
    if (!roles.includes(roleLogicalId)) continue;
    statements.push(...(r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return statements;
}

/** The role of the function built from `entry`: its logical id and managed policy ARNs. */
export function functionRole(entry: string, prefix = ""): { roleId: string; managedPolicyArns: unknown[] } {
  const fn = templateResources()[functionLogicalId(entry, prefix)]!;
  const roleId = (fn.Properties!.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
  const role = templateResources()[roleId]!;
  return { roleId, managedPolicyArns: (role.Properties!.ManagedPolicyArns as unknown[]) ?? [] };
}

/** `{Fn::GetAtt: [logicalId, "Arn"]}` as the template spells it. */
export const arnOf = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });

/** Logical id of the one resource of `type` whose id starts with `prefix`. */
export function logicalIdOf(type: string, prefix: string): string {
  const found = Object.entries(templateResources()).filter(
    ([id, r]) => r.Type === type && id.startsWith(prefix),
  );
  if (found.length !== 1) throw new Error(`expected one ${type} named ${prefix}…, found ${found.length}`);
  return found[0]![0];
}

/** Every action the inline policies on the role of the function built from `entry` allow, sorted, once each. */
export function roleActions(entry: string, prefix = ""): string[] {
  const actions = roleStatements(functionRole(entry, prefix).roleId).flatMap((s) => [s.Action].flat());
  return [...new Set(actions)].sort();
}

export interface AslValidationResult {
  readonly isValid: boolean;
  readonly errors: readonly unknown[];
  errorsText(separator?: string): string;
}

/** asl-validator (CommonJS, without type declarations): ASL validation of a state machine definition. */
export const validateAsl = createRequire(import.meta.url)("asl-validator") as (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => AslValidationResult;

/**
 * The Retry every workflow Task must have, spelled out: our retryable errors and Lambda's transient ones only,
 * 2 s doubling to at most 60 s, 6 attempts, full jitter.
 */
export const EXPECTED_TASK_RETRY = [
  {
    ErrorEquals: ["PortalThrottled"],
    IntervalSeconds: 10,
    MaxAttempts: 25,
    BackoffRate: 1.5,
    MaxDelaySeconds: 60,
    JitterStrategy: "FULL",
  },
  {
    ErrorEquals: [
      ...RETRYABLE_ERROR_NAMES.filter((name) => name !== "PortalThrottled"),
      "Lambda.ServiceException",
      "Lambda.TooManyRequestsException",
      "Lambda.SdkClientException",
    ],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 60,
    JitterStrategy: "FULL",
  },
];
