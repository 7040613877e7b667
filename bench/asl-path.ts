// The path an ASL definition takes when no Task fails and its Choice states see the given values, and what
// Step Functions bills along it: one transition per state entered, one Lambda invocation per Task.

type AslState = {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly Choices?: readonly ChoiceRule[];
  readonly Default?: string;
};
type ChoiceRule = {
  readonly Variable?: string;
  readonly StringEquals?: string;
  readonly BooleanEquals?: boolean;
  readonly NumericEquals?: number;
  readonly And?: readonly ChoiceRule[];
  readonly Or?: readonly ChoiceRule[];
  readonly Not?: ChoiceRule;
  readonly Next?: string;
};
interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

export interface AslPath {
  readonly states: readonly string[];
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
}

/**
 * Walks `definition` from StartAt. `values` maps a Choice rule's Variable (e.g. `$.outcome`) to the value it
 * holds on this path; a Choice with no matching rule takes its Default.
 */
export function aslPath(definition: unknown, values: Readonly<Record<string, unknown>>): AslPath {
  const { StartAt, States } = definition as AslDefinition;
  const states: string[] = [];
  let lambdaInvocations = 0;
  let current: string | undefined = StartAt;
  while (current !== undefined) {
    const state: AslState | undefined = States[current];
    if (!state) throw new Error(`the definition has no state ${current}`);
    if (states.length > 1000) throw new Error("the path does not end (a loop?)");
    states.push(current);
    if (state.Type === "Task" && isLambda(state.Resource)) lambdaInvocations += 1;
    if (state.Type === "Succeed" || state.Type === "Fail" || state.End) break;
    current =
      state.Type === "Choice"
        ? (state.Choices?.find((rule) => matches(rule, values))?.Next ?? state.Default)
        : state.Next;
    if (current === undefined) throw new Error(`state ${states.at(-1)} leads nowhere on this path`);
  }
  return { states, stateTransitions: states.length, lambdaInvocations };
}

function isLambda(resource: string | undefined): boolean {
  return resource !== undefined && (resource.includes(":lambda:") || resource.includes("lambda:invoke"));
}

function matches(rule: ChoiceRule, values: Readonly<Record<string, unknown>>): boolean {
  if (rule.And) return rule.And.every((inner) => matches(inner, values));
  if (rule.Or) return rule.Or.some((inner) => matches(inner, values));
  if (rule.Not) return !matches(rule.Not, values);
  if (rule.Variable === undefined || !(rule.Variable in values)) return false;
  const value = values[rule.Variable];
  if ("StringEquals" in rule) return value === rule.StringEquals;
  if ("BooleanEquals" in rule) return value === rule.BooleanEquals;
  if ("NumericEquals" in rule) return value === rule.NumericEquals;
  return false;
}
