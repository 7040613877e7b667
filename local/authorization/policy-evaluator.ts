// Evaluates IAM policy documents the way AWS documents it, for exactly the policy language the synthesized template
// uses: Allow/Deny (an explicit deny wins), Action/NotAction, Resource/NotResource, Principal, `*`/`?` wildcards,
// the String*/Arn*/Bool/Null condition operators with IfExists and ForAnyValue/ForAllValues. An operator or element
// it does not know makes the statement fail loudly instead of being skipped, so nothing is silently ignored.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: "*" | Readonly<Record<string, string | readonly string[]>>;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[] | PolicyStatement;
}

/** The request as a policy sees it. Context values are strings or lists of strings (multivalued keys). */
export interface RequestContext {
  readonly action: string;
  readonly resource: string;
  /** Who asks: an IAM role ARN, or `service:<host>` for an AWS service principal. */
  readonly principal?: string;
  readonly context?: Readonly<Record<string, string | readonly string[] | boolean | undefined>>;
}

export type StatementDecision = "Allow" | "Deny" | "NotApplicable";

/** A policy uses something this evaluator does not implement: fix the evaluator, never skip the statement. */
export class UnsupportedPolicyElement extends Error {
  override readonly name = "UnsupportedPolicyElement";
}

export function statementsOf(document: PolicyDocument): readonly PolicyStatement[] {
  return Array.isArray(document.Statement)
    ? (document.Statement as readonly PolicyStatement[])
    : [document.Statement as PolicyStatement];
}

/** Allow when a statement allows and none denies; Deny on an explicit deny; NotApplicable otherwise. */
export function evaluatePolicies(
  documents: readonly PolicyDocument[],
  request: RequestContext,
): { decision: StatementDecision; statement?: PolicyStatement } {
  let allowedBy: PolicyStatement | undefined;
  for (const document of documents) {
    for (const statement of statementsOf(document)) {
      const decision = evaluateStatement(statement, request);
      if (decision === "Deny") return { decision, statement };
      if (decision === "Allow") allowedBy ??= statement;
    }
  }
  return allowedBy ? { decision: "Allow", statement: allowedBy } : { decision: "NotApplicable" };
}

export function evaluateStatement(statement: PolicyStatement, request: RequestContext): StatementDecision {
  if (statement.NotPrincipal !== undefined)
    throw new UnsupportedPolicyElement("NotPrincipal is not supported by the local evaluator");
  if (!matchesAction(statement, request.action)) return "NotApplicable";
  if (!matchesResource(statement, request.resource)) return "NotApplicable";
  if (statement.Principal !== undefined && !matchesPrincipal(statement.Principal, request.principal))
    return "NotApplicable";
  if (!conditionsHold(statement.Condition ?? {}, request.context ?? {})) return "NotApplicable";
  return statement.Effect;
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

function matchesAction(statement: PolicyStatement, action: string): boolean {
  // Action names are case-insensitive; resource ARNs are not.
  const matches = (patterns: readonly string[]) =>
    patterns.some((pattern) => wildcardMatch(pattern.toLowerCase(), action.toLowerCase()));
  if (statement.Action !== undefined) return matches(list(statement.Action));
  if (statement.NotAction !== undefined) return !matches(list(statement.NotAction));
  throw new UnsupportedPolicyElement(`statement ${statement.Sid ?? ""} has neither Action nor NotAction`);
}

function matchesResource(statement: PolicyStatement, resource: string): boolean {
  const matches = (patterns: readonly string[]) =>
    patterns.some((pattern) => wildcardMatch(pattern, resource));
  if (statement.Resource !== undefined) return matches(list(statement.Resource));
  if (statement.NotResource !== undefined) return !matches(list(statement.NotResource));
  // Key policies and other resource policies may leave Resource out only in documents AWS would refuse.
  throw new UnsupportedPolicyElement(`statement ${statement.Sid ?? ""} has neither Resource nor NotResource`);
}

/** `AWS: <account root ARN>` matches every principal of that account (delegation to IAM is handled by the caller). */
function matchesPrincipal(principal: PolicyStatement["Principal"], requester: string | undefined): boolean {
  if (principal === "*") return true;
  if (requester === undefined) return false;
  for (const [kind, values] of Object.entries(principal ?? {})) {
    for (const value of list(values)) {
      // A bare 12-digit account id names the account, as its root ARN does:
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
      const aws = /^\d{12}$/.test(value) ? `arn:aws:iam::${value}:root` : value;
      if (kind === "AWS" && (aws === "*" || aws === requester)) return true;
      if (kind === "Service" && requester === `service:${value}`) return true;
    }
  }
  return false;
}

/** `*` any run of characters, `?` any one character; everything else literal. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === value;
  const source = pattern
    .split("")
    .map((character) =>
      character === "*" ? ".*" : character === "?" ? "." : character.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`, "s").test(value);
}

type Context = Readonly<Record<string, string | readonly string[] | boolean | undefined>>;

function conditionsHold(conditions: NonNullable<PolicyStatement["Condition"]>, context: Context): boolean {
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, context)),
  );
}

/** Keys are case-insensitive in policies; look them up that way. */
function contextValue(context: Context, key: string): readonly string[] | undefined {
  const found = Object.entries(context).find(([name]) => name.toLowerCase() === key.toLowerCase());
  const value = found?.[1];
  if (value === undefined) return undefined;
  if (typeof value === "boolean") return [String(value)];
  return list(value as string | readonly string[]);
}

function conditionHolds(operator: string, key: string, expected: unknown, context: Context): boolean {
  let name = operator;
  let quantifier: "ForAnyValue" | "ForAllValues" | undefined;
  const qualified = /^(ForAnyValue|ForAllValues):(.+)$/.exec(name);
  if (qualified) {
    quantifier = qualified[1] as "ForAnyValue" | "ForAllValues";
    name = qualified[2]!;
  }
  const ifExists = name.endsWith("IfExists");
  if (ifExists) name = name.slice(0, -"IfExists".length);
  const expectedValues = (Array.isArray(expected) ? expected : [expected]).map((value) => String(value));
  const actual = contextValue(context, key);

  if (name === "Null") {
    // Null:true holds when the key is absent; Null:false when it is present.
    const wantsAbsent = expectedValues[0] === "true";
    return wantsAbsent ? actual === undefined : actual !== undefined;
  }
  const compare = comparator(name);
  const negated = /Not(Equals|Like)/.test(name);
  if (actual === undefined || actual.length === 0) {
    // A missing key: IfExists makes the condition hold; ForAllValues holds vacuously and ForAnyValue fails, whatever
    // the operator; otherwise a negated operator holds (nothing equals the values) and every other one fails.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
    if (ifExists || quantifier === "ForAllValues") return true;
    if (quantifier === "ForAnyValue") return false;
    return negated;
  }
  // Several values in the policy: a positive operator matches any of them, a negated one must differ from all.
  const matchesExpected = (value: string) =>
    negated
      ? expectedValues.every((wanted) => compare(value, wanted))
      : expectedValues.some((wanted) => compare(value, wanted));
  if (quantifier === "ForAllValues") return actual.every(matchesExpected);
  // Single-valued keys and ForAnyValue: any actual value matching.
  return actual.some(matchesExpected);
}

function comparator(operator: string): (actual: string, expected: string) => boolean {
  switch (operator) {
    case "StringEquals":
      return (actual, expected) => actual === expected;
    case "StringNotEquals":
      return (actual, expected) => actual !== expected;
    case "StringEqualsIgnoreCase":
      return (actual, expected) => actual.toLowerCase() === expected.toLowerCase();
    case "StringNotEqualsIgnoreCase":
      return (actual, expected) => actual.toLowerCase() !== expected.toLowerCase();
    case "StringLike":
      return (actual, expected) => wildcardMatch(expected, actual);
    case "StringNotLike":
      return (actual, expected) => !wildcardMatch(expected, actual);
    // "The ArnEquals and ArnLike condition operators behave identically" (and ArnNotEquals/ArnNotLike):
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
    case "ArnEquals":
    case "ArnLike":
      return (actual, expected) => arnLike(expected, actual);
    case "ArnNotEquals":
    case "ArnNotLike":
      return (actual, expected) => !arnLike(expected, actual);
    case "Bool":
      return (actual, expected) => actual.toLowerCase() === expected.toLowerCase();
    default:
      throw new UnsupportedPolicyElement(
        `condition operator ${operator} is not supported by the local evaluator`,
      );
  }
}

/** ArnLike compares the six colon-separated parts one by one, each with wildcards (the last part keeps its colons). */
function arnLike(pattern: string, arn: string): boolean {
  const parts = (value: string) => {
    const split = value.split(":");
    return [...split.slice(0, 5), split.slice(5).join(":")];
  };
  const patternParts = parts(pattern);
  const arnParts = parts(arn);
  if (arnParts.length !== 6 || patternParts.length !== 6) return false;
  return patternParts.every((part, i) => wildcardMatch(part, arnParts[i]!));
}
