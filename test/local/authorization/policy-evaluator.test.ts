// The local evaluator against AWS's documented decisions:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
import { describe, expect, it } from "vitest";
import { TemplateAuthorizer } from "../../../local/authorization/authorizer.js";
import {
  evaluatePolicies,
  type PolicyDocument,
  UnsupportedPolicyElement,
} from "../../../local/authorization/policy-evaluator.js";
import {
  ACCOUNT_ROOT_ARN,
  type TemplatePermissions,
} from "../../../local/authorization/template-permissions.js";

const ROLE = "arn:aws:iam::000000000000:role/Caller";
const KEY = "arn:aws:kms:us-east-1:000000000000:key/K";
const MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:Onboarding";
const SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:webhook-AbCdEf";
const doc = (...Statement: PolicyDocument["Statement"][]): PolicyDocument => ({
  Statement: Statement.flat() as never,
});

describe("policy evaluation (documented decisions)", () => {
  it("denies by default, allows on an Allow, and an explicit Deny overrides any Allow", () => {
    const allow = doc({ Effect: "Allow", Action: "states:StartExecution", Resource: MACHINE });
    const deny = doc({ Effect: "Deny", Action: "states:*", Resource: "*" });
    const request = { action: "states:StartExecution", resource: MACHINE };
    expect(evaluatePolicies([], request).decision).toBe("NotApplicable");
    expect(evaluatePolicies([allow], request).decision).toBe("Allow");
    expect(evaluatePolicies([allow, deny], request).decision).toBe("Deny");
  });

  it("matches actions case-insensitively with * and ?, resources exactly; NotAction/NotResource invert", () => {
    const policy = doc(
      {
        Effect: "Allow",
        Action: "STATES:Describe?xecution",
        Resource: `${MACHINE.replace("stateMachine", "execution")}:*`,
      },
      { Effect: "Allow", NotAction: "kms:*", NotResource: KEY },
    );
    const execution = `${MACHINE.replace("stateMachine", "execution")}:crm-1`;
    expect(
      evaluatePolicies([policy], { action: "states:DescribeExecution", resource: execution }).decision,
    ).toBe("Allow");
    expect(
      evaluatePolicies([policy], {
        action: "kms:Decrypt",
        resource: "arn:aws:kms:us-east-1:000000000000:key/Other",
      }).decision,
    ).toBe("NotApplicable");
    expect(evaluatePolicies([policy], { action: "sqs:SendMessage", resource: KEY }).decision).toBe(
      "NotApplicable",
    );
  });

  it("evaluates conditions: StringEquals, ArnLike by ARN part, IfExists, Null, negated operators on a missing key", () => {
    const statement = (Condition: object) =>
      doc({ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY, Condition: Condition as never });
    const request = (context: Record<string, string>) => ({ action: "kms:Decrypt", resource: KEY, context });
    const viaStates = statement({ StringEquals: { "kms:ViaService": "states.us-east-1.amazonaws.com" } });
    expect(
      evaluatePolicies([viaStates], request({ "kms:ViaService": "states.us-east-1.amazonaws.com" })).decision,
    ).toBe("Allow");
    expect(
      evaluatePolicies([viaStates], request({ "kms:ViaService": "sqs.us-east-1.amazonaws.com" })).decision,
    ).toBe("NotApplicable");
    // A condition key absent from the request does not match (no silent pass).
    expect(evaluatePolicies([viaStates], request({})).decision).toBe("NotApplicable");
    const arnLike = statement({ ArnLike: { "aws:SourceArn": "arn:aws:events:*:000000000000:rule/*" } });
    expect(
      evaluatePolicies(
        [arnLike],
        request({ "aws:SourceArn": "arn:aws:events:us-east-1:000000000000:rule/R" }),
      ).decision,
    ).toBe("Allow");
    expect(
      evaluatePolicies(
        [arnLike],
        request({ "aws:SourceArn": "arn:aws:events:us-east-1:111111111111:rule/R" }),
      ).decision,
    ).toBe("NotApplicable");
    const ifExists = statement({
      StringEqualsIfExists: { "kms:ViaService": "states.us-east-1.amazonaws.com" },
    });
    expect(evaluatePolicies([ifExists], request({})).decision).toBe("Allow");
    const absent = statement({ Null: { "kms:ViaService": "true" } });
    expect(evaluatePolicies([absent], request({})).decision).toBe("Allow");
    expect(evaluatePolicies([absent], request({ "kms:ViaService": "x" })).decision).toBe("NotApplicable");
    const notEquals = statement({ StringNotEquals: { "kms:ViaService": ["a", "b"] } });
    expect(evaluatePolicies([notEquals], request({})).decision).toBe("Allow");
    expect(evaluatePolicies([notEquals], request({ "kms:ViaService": "b" })).decision).toBe("NotApplicable");
  });

  it("ArnEquals behaves as ArnLike and ArnNotEquals as ArnNotLike: wildcards by ARN part", () => {
    // "The ArnEquals and ArnLike condition operators behave identically." (condition operators, ARN section)
    const request = (sourceArn: string) => ({
      action: "kms:Decrypt",
      resource: KEY,
      context: { "aws:SourceArn": sourceArn },
    });
    const rule = "arn:aws:events:us-east-1:000000000000:rule/R";
    const equals = statementWith({ ArnEquals: { "aws:SourceArn": "arn:aws:events:*:000000000000:rule/*" } });
    expect(evaluatePolicies([equals], request(rule)).decision).toBe("Allow");
    expect(evaluatePolicies([equals], request("arn:aws:events:us-east-1:111111111111:rule/R")).decision).toBe(
      "NotApplicable",
    );
    const notEquals = statementWith({
      ArnNotEquals: { "aws:SourceArn": "arn:aws:events:*:000000000000:rule/*" },
    });
    expect(evaluatePolicies([notEquals], request(rule)).decision).toBe("NotApplicable");
  });

  it("ForAnyValue on a missing or empty key is false, negated operator or not; ForAllValues is true", () => {
    // "If the key values in the request resolve to an empty data set … ForAllValues returns true, and … ForAnyValue
    // returns false." https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
    const request = (context: Record<string, string[]>) => ({
      action: "kms:Decrypt",
      resource: KEY,
      context,
    });
    const anyNot = statementWith({ "ForAnyValue:StringNotEquals": { "kms:EncryptionContextKeys": ["a"] } });
    expect(evaluatePolicies([anyNot], request({})).decision).toBe("NotApplicable");
    expect(evaluatePolicies([anyNot], request({ "kms:EncryptionContextKeys": [] })).decision).toBe(
      "NotApplicable",
    );
    expect(evaluatePolicies([anyNot], request({ "kms:EncryptionContextKeys": ["b"] })).decision).toBe(
      "Allow",
    );
    const allNot = statementWith({ "ForAllValues:StringNotEquals": { "kms:EncryptionContextKeys": ["a"] } });
    expect(evaluatePolicies([allNot], request({})).decision).toBe("Allow");
  });

  it("refuses to guess: an operator it does not implement is an error, not a skipped statement", () => {
    const policy = statementWith({ NumericLessThan: { "aws:MultiFactorAuthAge": "3600" } });
    expect(() => evaluatePolicies([policy], { action: "kms:Decrypt", resource: KEY, context: {} })).toThrow(
      UnsupportedPolicyElement,
    );
  });
});

function statementWith(Condition: object): PolicyDocument {
  return {
    Statement: [{ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY, Condition: Condition as never }],
  };
}

function permissionsWith(
  identity: PolicyDocument[],
  resourcePolicies: [string, PolicyDocument][],
): TemplatePermissions {
  return {
    principals: new Map([["Caller", { logicalId: "Caller", arn: ROLE, policies: identity }]]),
    resourcePolicies: new Map(resourcePolicies.map(([arn, policy]) => [arn, [policy]])),
    encryptionKeys: new Map([
      [MACHINE, KEY],
      [SECRET, KEY],
    ]),
    functionRoles: new Map(),
    scheduleRoles: new Map(),
    keys: new Set([KEY]),
    partitionKeys: new Map(),
    stateMachineRoles: new Map(),
  };
}

const DEFAULT_KEY_POLICY = doc({
  Effect: "Allow",
  Principal: { AWS: ACCOUNT_ROOT_ARN },
  Action: "kms:*",
  Resource: "*",
});

describe("resource policies and KMS key policies", () => {
  it("KMS: a key policy naming the account by its bare id delegates to IAM as the root ARN does", () => {
    // `"AWS": "123456789012"` is the account, the same as `arn:aws:iam::123456789012:root`:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
    const byId = doc({ Effect: "Allow", Principal: { AWS: "000000000000" }, Action: "kms:*", Resource: "*" });
    const decrypt = doc({ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY });
    const request = { principal: "Caller", action: "kms:Decrypt", resource: KEY };
    expect(new TemplateAuthorizer(permissionsWith([decrypt], [[KEY, byId]])).authorize(request).allowed).toBe(
      true,
    );
    // Delegation only: without the role's own allow, naming the account allows nothing.
    expect(new TemplateAuthorizer(permissionsWith([], [[KEY, byId]])).authorize(request).allowed).toBe(false);
  });

  it("KMS: the default key policy delegates to IAM, so the role's own policy must allow the key", () => {
    const start = doc({ Effect: "Allow", Action: "states:StartExecution", Resource: MACHINE });
    const without = new TemplateAuthorizer(permissionsWith([start], [[KEY, DEFAULT_KEY_POLICY]]));
    const decision = without.authorize({
      principal: "Caller",
      action: "states:StartExecution",
      resource: MACHINE,
    });
    expect(decision).toMatchObject({
      allowed: false,
      deniedAction: "kms:GenerateDataKey",
      deniedResource: KEY,
      kms: true,
    });
    const key = doc({
      Effect: "Allow",
      Action: "kms:GenerateDataKey",
      Resource: KEY,
      Condition: { StringEquals: { "kms:EncryptionContext:aws:states:stateMachineArn": MACHINE } },
    });
    const withKey = new TemplateAuthorizer(permissionsWith([start, key], [[KEY, DEFAULT_KEY_POLICY]]));
    expect(
      withKey.authorize({ principal: "Caller", action: "states:StartExecution", resource: MACHINE }).allowed,
    ).toBe(true);
  });

  it("KMS: an IAM allow is not enough when the key policy names neither the account nor the role", () => {
    const everything = doc({ Effect: "Allow", Action: "*", Resource: "*" });
    const servicesOnly = doc({
      Effect: "Allow",
      Principal: { Service: "logs.us-east-1.amazonaws.com" },
      Action: "kms:*",
      Resource: "*",
    });
    const authorizer = new TemplateAuthorizer(permissionsWith([everything], [[KEY, servicesOnly]]));
    expect(authorizer.authorize({ principal: "Caller", action: "kms:Decrypt", resource: KEY })).toMatchObject(
      { allowed: false },
    );
  });

  it("KMS: a key policy naming the role allows without any IAM policy (here only through Secrets Manager)", () => {
    const keyPolicy = doc({
      Effect: "Allow",
      Principal: { AWS: ROLE },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
    });
    const read = doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET });
    const authorizer = new TemplateAuthorizer(permissionsWith([read], [[KEY, keyPolicy]]));
    expect(
      authorizer.authorize({ principal: "Caller", action: "secretsmanager:GetSecretValue", resource: SECRET })
        .allowed,
    ).toBe(true);
    expect(authorizer.authorize({ principal: "Caller", action: "kms:Decrypt", resource: KEY }).allowed).toBe(
      false,
    );
  });

  it("same account: a resource policy naming the role allows without an identity policy; an explicit deny in it wins", () => {
    const queue = "arn:aws:sqs:us-east-1:000000000000:dlq";
    const allows = doc({
      Effect: "Allow",
      Principal: { AWS: ROLE },
      Action: "sqs:SendMessage",
      Resource: queue,
    });
    expect(
      new TemplateAuthorizer(permissionsWith([], [[queue, allows]])).authorize({
        principal: "Caller",
        action: "sqs:SendMessage",
        resource: queue,
      }).allowed,
    ).toBe(true);
    const denies = doc({
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: "sqs:*",
      Resource: queue,
      Condition: { Bool: { "aws:SecureTransport": "true" } },
    });
    const identity = doc({ Effect: "Allow", Action: "sqs:SendMessage", Resource: queue });
    expect(
      new TemplateAuthorizer(permissionsWith([identity], [[queue, denies]])).authorize({
        principal: "Caller",
        action: "sqs:SendMessage",
        resource: queue,
      }),
    ).toMatchObject({ allowed: false, explicitDeny: true });
  });
});
