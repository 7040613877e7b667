// The Step Functions context object (`$$`) for local executions, and the two places aws-local-stepfunctions
// falls short of AWS that the engine works around:
// - it overwrites `$$.Execution.StartTime` and `$$.Execution.Input` (and resets both inside Map iterations), so the
//   extractor rewrites those paths to `$$.Execution.LocalStartTime` / `LocalInput`, which the engine fills in;
// - it has no `$$.State`, so `$$.State.*` evaluates to placeholders that the Lambda adapter replaces, just before
//   the handler runs, with the state's name, entered time and retry count (hence `$$.State` is only allowed in the
//   Parameters of Lambda Tasks).

export const LOCAL_START_TIME_FIELD = "LocalStartTime";
export const LOCAL_INPUT_FIELD = "LocalInput";

const CONTEXT_PATH_REWRITES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\$\$\.Execution\.StartTime\b/g, `$$$$.Execution.${LOCAL_START_TIME_FIELD}`],
  [/\$\$\.Execution\.Input\b/g, `$$$$.Execution.${LOCAL_INPUT_FIELD}`],
];

/** Rewrites the context paths aws-local-stepfunctions would answer wrongly (see the file comment). */
export function rewriteContextPaths(expression: string): string {
  let out = expression;
  for (const [pattern, replacement] of CONTEXT_PATH_REWRITES) out = out.replace(pattern, replacement);
  return out;
}

/** True when the expression reads `$$.State` (resolved only for Lambda Task Parameters). */
export function readsStateContext(expression: string): boolean {
  return /\$\$\.State\b/.test(expression);
}

const PLACEHOLDER_MARK = "\u2063local-engine:";
const STATE_PLACEHOLDERS = {
  Name: `${PLACEHOLDER_MARK}State.Name\u2063`,
  EnteredTime: `${PLACEHOLDER_MARK}State.EnteredTime\u2063`,
  RetryCount: `${PLACEHOLDER_MARK}State.RetryCount\u2063`,
} as const;

export interface ContextObjectInput {
  readonly executionArn: string;
  readonly executionName: string;
  readonly startTime: string;
  readonly input: unknown;
  readonly roleArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
}

/** The context object passed to aws-local-stepfunctions' `run({ context })`. */
export function buildContextObject(execution: ContextObjectInput): Record<string, unknown> {
  return {
    Execution: {
      Id: execution.executionArn,
      Name: execution.executionName,
      RoleArn: execution.roleArn,
      RedriveCount: 0,
      [LOCAL_START_TIME_FIELD]: execution.startTime,
      [LOCAL_INPUT_FIELD]: execution.input,
    },
    StateMachine: { Id: execution.stateMachineArn, Name: execution.stateMachineName },
    State: { ...STATE_PLACEHOLDERS },
  };
}

export interface StateContext {
  readonly name: string;
  readonly enteredTime: string;
  readonly retryCount: number;
}

/** Replaces `$$.State.*` placeholders in a Task's processed Parameters with the state's real values. */
export function fillStateContext(value: unknown, state: StateContext): unknown {
  if (typeof value === "string") {
    if (!value.includes(PLACEHOLDER_MARK)) return value;
    if (value === STATE_PLACEHOLDERS.RetryCount) return state.retryCount;
    return value
      .replaceAll(STATE_PLACEHOLDERS.Name, state.name)
      .replaceAll(STATE_PLACEHOLDERS.EnteredTime, state.enteredTime)
      .replaceAll(STATE_PLACEHOLDERS.RetryCount, String(state.retryCount));
  }
  if (Array.isArray(value)) return value.map((item) => fillStateContext(item, state));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillStateContext(v, state)]));
  }
  return value;
}
