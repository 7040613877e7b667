// Turns synthesized templates into runnable state machines: ASL with tokens resolved to fake ARNs, every Lambda
// Task bound to its handler module, and a clear error for anything aws-local-stepfunctions would ignore or not run.
import { HANDLER_ENTRY_METADATA } from "../lib/handler-function.js";
import type { CfnResource, SynthesizedStack } from "./cloudformation-template.js";
import { readsStateContext, rewriteContextPaths } from "./context-object.js";
import { lambdaFunctionArn, stateMachineArn } from "./fake-aws.js";
import { TemplateResolver } from "./template-resolver.js";

/** Largest timeout a Node timer holds (2^31-1 ms); longer ones fire at once, so the engine clamps to it. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
/** Lambda's defaults when the template leaves them out. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const LAMBDA_DEFAULT_MEMORY_MB = 128;

export interface ExtractedFunction {
  readonly logicalId: string;
  readonly stackName: string;
  /** What `Ref` gives: the function name. */
  readonly functionName: string;
  /** Fake ARN carrying the logical id. */
  readonly functionArn: string;
  /** Handler module, relative to the project root (the `practice-onboarding:entry` metadata). */
  readonly entry: string;
  /** Export name of the handler in `entry` (from `Handler: index.<name>`). */
  readonly handlerExport: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** `Environment.Variables`, tokens resolved. */
  readonly environment: Readonly<Record<string, string>>;
}

export type TaskIntegration = "lambda:invoke" | "lambda-arn";

export interface LambdaTaskBinding {
  readonly stateName: string;
  readonly integration: TaskIntegration;
  readonly function: ExtractedFunction;
}

export interface ExtractedStateMachine {
  readonly logicalId: string;
  readonly stackName: string;
  /** `StateMachineName` if CDK set one, else the logical id. */
  readonly name: string;
  /** The name CDK gave (`stateMachineName`), if any. */
  readonly configuredName?: string;
  readonly stateMachineArn: string;
  readonly roleArn: string;
  /** Execution timeout (`TimeoutSeconds`), if any. */
  readonly timeoutSeconds?: number;
  /** The ASL as deployed, tokens resolved. */
  readonly definition: AslDefinition;
  /** The ASL handed to aws-local-stepfunctions (context paths rewritten, Task timeouts made explicit). */
  readonly runnableDefinition: AslDefinition;
  /** Lambda Tasks by state name (state names are unique across the whole machine). */
  readonly lambdaTasks: ReadonlyMap<string, LambdaTaskBinding>;
  /** Every state name, nested ones included. */
  readonly stateNames: readonly string[];
}

export interface ExtractedApp {
  readonly stateMachines: readonly ExtractedStateMachine[];
  /** Every function built with HandlerFunction (bound to a Task or not), by logical id. */
  readonly functions: ReadonlyMap<string, ExtractedFunction>;
}

export interface ExtractOptions {
  /** Physical names by logical id (e.g. table names in DynamoDB Local). */
  readonly resourceNames?: Readonly<Record<string, string>>;
}

/** A definition uses something the local engine cannot run faithfully. */
export class UnsupportedStateMachine extends Error {
  override readonly name = "UnsupportedStateMachine";
}

export type AslDefinition = { StartAt: string; States: Record<string, AslState>; [field: string]: unknown };
type AslState = Record<string, unknown> & { Type: string };

/** Fields aws-local-stepfunctions silently ignores (JSONata, variables, distributed Map, heartbeats, credentials). */
const IGNORED_STATE_FIELDS: Readonly<Record<string, string>> = {
  Arguments: "JSONata",
  Output: "JSONata",
  Assign: "workflow variables",
  Items: "JSONata / distributed Map",
  ItemReader: "distributed Map",
  ResultWriter: "distributed Map",
  ItemBatcher: "distributed Map",
  ToleratedFailureCount: "distributed Map",
  ToleratedFailureCountPath: "distributed Map",
  ToleratedFailurePercentage: "distributed Map",
  ToleratedFailurePercentagePath: "distributed Map",
  Label: "distributed Map",
  Credentials: "cross-account Task",
  HeartbeatSeconds: "Task heartbeat",
  HeartbeatSecondsPath: "Task heartbeat",
};
const IGNORED_RULE_FIELDS = ["Condition", "Assign", "Output"] as const;
const PATH_FIELDS = [
  "InputPath",
  "OutputPath",
  "ItemsPath",
  "TimeoutSecondsPath",
  "SecondsPath",
  "TimestampPath",
  "ErrorPath",
  "CausePath",
  "MaxConcurrencyPath",
] as const;
const TEMPLATE_FIELDS = ["Parameters", "ResultSelector", "ItemSelector"] as const;

const LAMBDA_INVOKE_RESOURCE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const INTEGRATION_PATTERN = /^arn:aws[a-z-]*:states:::.+\.(sync(:2)?|waitForTaskToken)$/;
const LAMBDA_FUNCTION_ARN = /^(arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+)(:[^:]+)?$/;

/** Extracts every `AWS::StepFunctions::StateMachine` of the given stacks. */
export function extractStateMachines(
  stacks: readonly SynthesizedStack[],
  options: ExtractOptions = {},
): ExtractedApp {
  const stateMachines: ExtractedStateMachine[] = [];
  const functions = new Map<string, ExtractedFunction>();
  for (const stack of stacks) {
    const resolver = new TemplateResolver(stack.template, {
      stackName: stack.stackName,
      resourceNames: options.resourceNames,
    });
    const lambdaResources = Object.entries(stack.template.Resources ?? {}).filter(
      ([, resource]) => resource.Type === "AWS::Lambda::Function",
    );
    const functionLookup = new FunctionLookup(stack.stackName, lambdaResources, resolver);
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource.Type !== "AWS::StepFunctions::StateMachine") continue;
      const machine = extractStateMachine(stack.stackName, logicalId, resource, resolver, functionLookup);
      stateMachines.push(machine);
      for (const task of machine.lambdaTasks.values()) functions.set(task.function.logicalId, task.function);
    }
    // Functions behind other triggers (the webhook's HTTP API) run locally too, so they are extracted as well;
    // functions CDK adds for itself (custom resources) carry no entry metadata and are left out.
    for (const [logicalId, resource] of lambdaResources) {
      if (functions.has(logicalId) || typeof resource.Metadata?.[HANDLER_ENTRY_METADATA] !== "string")
        continue;
      functions.set(logicalId, functionLookup.find(lambdaFunctionArn(logicalId), logicalId));
    }
  }
  const seen = new Map<string, ExtractedStateMachine>();
  for (const machine of stateMachines) {
    const other = seen.get(machine.name);
    if (other)
      throw new UnsupportedStateMachine(
        `State machines ${other.stackName}/${other.logicalId} and ${machine.stackName}/${machine.logicalId} share the name "${machine.name}"`,
      );
    seen.set(machine.name, machine);
  }
  return { stateMachines, functions };
}

function extractStateMachine(
  stackName: string,
  logicalId: string,
  resource: CfnResource,
  resolver: TemplateResolver,
  functions: FunctionLookup,
): ExtractedStateMachine {
  const properties = resource.Properties ?? {};
  const label = `State machine ${logicalId}`;
  const type = properties.StateMachineType ?? "STANDARD";
  if (type !== "STANDARD")
    throw new UnsupportedStateMachine(
      `${label}: StateMachineType ${String(type)} is not supported (Standard only)`,
    );
  const definition = readDefinition(label, properties, resolver);
  const configuredName =
    properties.StateMachineName === undefined
      ? undefined
      : resolver.resolveString(properties.StateMachineName, `${logicalId}.StateMachineName`);
  const name = configuredName ?? logicalId;
  const roleArn =
    properties.RoleArn === undefined
      ? ""
      : resolver.resolveString(properties.RoleArn, `${logicalId}.RoleArn`);

  if (definition.QueryLanguage === "JSONata")
    throw new UnsupportedStateMachine(
      `${label}: QueryLanguage "JSONata" is not supported locally (aws-local-stepfunctions runs JSONPath only); write the workflow in JSONPath`,
    );
  const runnable = structuredClone(definition);
  delete runnable.QueryLanguage;
  if (typeof runnable.TimeoutSeconds === "number" && runnable.TimeoutSeconds > MAX_TIMER_SECONDS)
    runnable.TimeoutSeconds = MAX_TIMER_SECONDS;

  const lambdaTasks = new Map<string, LambdaTaskBinding>();
  const stateNames = new Set<string>();
  const visit = (states: Record<string, AslState>) => {
    for (const [stateName, state] of Object.entries(states)) {
      const at = `${label} › state "${stateName}"`;
      if (stateNames.has(stateName))
        throw new UnsupportedStateMachine(`${at}: state names must be unique across the whole state machine`);
      stateNames.add(stateName);
      checkSupportedFields(at, state);
      const binding = state.Type === "Task" ? bindTask(at, stateName, state, functions) : undefined;
      if (binding) lambdaTasks.set(stateName, binding);
      rewriteExpressions(at, state, Boolean(binding));
      if (
        state.Type === "Task" &&
        state.TimeoutSeconds === undefined &&
        state.TimeoutSecondsPath === undefined
      )
        state.TimeoutSeconds = MAX_TIMER_SECONDS; // AWS has no default Task timeout; the library defaults to 60 s
      if (typeof state.TimeoutSeconds === "number" && state.TimeoutSeconds > MAX_TIMER_SECONDS)
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      for (const branch of (state.Branches as AslDefinition[] | undefined) ?? []) visit(branch.States);
      const iterator = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
      if (iterator) {
        const processorConfig = iterator.ProcessorConfig as { Mode?: string } | undefined;
        if (processorConfig?.Mode === "DISTRIBUTED")
          throw new UnsupportedStateMachine(
            `${at}: field "ItemProcessor.ProcessorConfig.Mode" DISTRIBUTED is not supported locally (inline Map only)`,
          );
        if (iterator.QueryLanguage === "JSONata")
          throw new UnsupportedStateMachine(`${at}: field "ItemProcessor.QueryLanguage" is JSONata`);
        delete iterator.QueryLanguage;
        delete iterator.ProcessorConfig;
        visit(iterator.States);
      }
    }
  };
  visit(runnable.States);

  return {
    logicalId,
    stackName,
    name,
    configuredName,
    stateMachineArn: stateMachineArn(name),
    roleArn,
    timeoutSeconds: typeof definition.TimeoutSeconds === "number" ? definition.TimeoutSeconds : undefined,
    definition,
    runnableDefinition: runnable,
    lambdaTasks,
    stateNames: [...stateNames],
  };
}

function readDefinition(
  label: string,
  properties: Record<string, unknown>,
  resolver: TemplateResolver,
): AslDefinition {
  if (properties.DefinitionS3Location !== undefined)
    throw new UnsupportedStateMachine(
      `${label}: DefinitionS3Location is not supported; use an inline definition`,
    );
  let text: string;
  if (properties.DefinitionString !== undefined) {
    text = resolver.resolveString(properties.DefinitionString, `${label}.DefinitionString`);
  } else if (properties.Definition !== undefined) {
    text = JSON.stringify(resolver.resolve(properties.Definition, `${label}.Definition`));
  } else {
    throw new UnsupportedStateMachine(`${label}: no DefinitionString or Definition`);
  }
  const substitutions = resolver.resolve(
    properties.DefinitionSubstitutions ?? {},
    `${label}.DefinitionSubstitutions`,
  );
  for (const [key, value] of Object.entries(substitutions as Record<string, unknown>)) {
    text = text.replaceAll(`\${${key}}`, String(value));
  }
  try {
    return JSON.parse(text) as AslDefinition;
  } catch (error) {
    throw new UnsupportedStateMachine(`${label}: definition is not valid JSON: ${(error as Error).message}`);
  }
}

function checkSupportedFields(at: string, state: AslState): void {
  if (state.QueryLanguage === "JSONata")
    throw new UnsupportedStateMachine(
      `${at}: field "QueryLanguage" is "JSONata", which aws-local-stepfunctions does not run; use JSONPath`,
    );
  delete state.QueryLanguage;
  // aws-local-stepfunctions writes the result under a key named "$" instead of replacing the state.
  if (state.ResultPath === "$")
    throw new UnsupportedStateMachine(
      `${at}: "ResultPath": "$" is mishandled by aws-local-stepfunctions (it adds a "$" key); use ResultPath "$.x" with OutputPath "$.x", or omit ResultPath`,
    );
  for (const [field, feature] of Object.entries(IGNORED_STATE_FIELDS)) {
    if (field in state)
      throw new UnsupportedStateMachine(
        `${at}: field "${field}" (${feature}) would be silently ignored by aws-local-stepfunctions`,
      );
  }
  const rules: Array<[string, Record<string, unknown>]> = [
    ...((state.Choices as Record<string, unknown>[] | undefined) ?? []).map(
      (rule, i): [string, Record<string, unknown>] => [`Choices[${i}]`, rule],
    ),
    ...((state.Catch as Record<string, unknown>[] | undefined) ?? []).map(
      (rule, i): [string, Record<string, unknown>] => [`Catch[${i}]`, rule],
    ),
  ];
  for (const [where, rule] of rules) {
    for (const field of IGNORED_RULE_FIELDS) {
      if (field in rule)
        throw new UnsupportedStateMachine(
          `${at}: field "${where}.${field}" (JSONata / variables) would be silently ignored by aws-local-stepfunctions`,
        );
    }
  }
}

function bindTask(
  at: string,
  stateName: string,
  state: AslState,
  functions: FunctionLookup,
): LambdaTaskBinding | undefined {
  const resource = String(state.Resource);
  if (INTEGRATION_PATTERN.test(resource))
    throw new UnsupportedStateMachine(
      `${at}: field "Resource" ${resource} uses a .sync / .waitForTaskToken integration, which runs only on AWS`,
    );
  if (LAMBDA_INVOKE_RESOURCE.test(resource)) {
    const parameters = state.Parameters as Record<string, unknown> | undefined;
    if (!parameters || typeof parameters !== "object")
      throw new UnsupportedStateMachine(`${at}: field "Parameters" is required for lambda:invoke`);
    if ("FunctionName.$" in parameters)
      throw new UnsupportedStateMachine(
        `${at}: field "Parameters.FunctionName.$" chooses the function at run time; the local engine binds functions statically`,
      );
    const invocationType = parameters.InvocationType ?? "RequestResponse";
    if (invocationType !== "RequestResponse")
      throw new UnsupportedStateMachine(
        `${at}: field "Parameters.InvocationType" ${String(invocationType)} is not supported locally`,
      );
    const fn = functions.find(String(parameters.FunctionName), `${at}: field "Parameters.FunctionName"`);
    return { stateName, integration: "lambda:invoke", function: fn };
  }
  if (LAMBDA_FUNCTION_ARN.test(resource)) {
    return {
      stateName,
      integration: "lambda-arn",
      function: functions.find(resource, `${at}: field "Resource"`),
    };
  }
  throw new UnsupportedStateMachine(
    `${at}: field "Resource" ${resource} is a service integration with no local handler (only Lambda Tasks run locally)`,
  );
}

/** Rewrites context paths in every JSONPath expression of the state and checks where `$$.State` is read. */
function rewriteExpressions(at: string, state: AslState, isLambdaTask: boolean): void {
  const rewrite = (field: string, expression: string): string => {
    if (readsStateContext(expression) && !(isLambdaTask && field.startsWith("Parameters")))
      throw new UnsupportedStateMachine(
        `${at}: field "${field}" reads $$.State, which the local engine provides only in a Lambda Task's Parameters`,
      );
    return rewriteContextPaths(expression);
  };
  for (const field of PATH_FIELDS) {
    if (typeof state[field] === "string") state[field] = rewrite(field, state[field] as string);
  }
  for (const field of TEMPLATE_FIELDS) {
    if (state[field] !== undefined) state[field] = rewritePayloadTemplate(state[field], field, rewrite);
  }
  const choices = state.Choices as Record<string, unknown>[] | undefined;
  choices?.forEach((rule, i) => {
    rewriteChoiceRule(rule, `Choices[${i}]`, rewrite);
  });
}

function rewritePayloadTemplate(
  template: unknown,
  where: string,
  rewrite: (field: string, expression: string) => string,
): unknown {
  if (Array.isArray(template))
    return template.map((item, i) => rewritePayloadTemplate(item, `${where}[${i}]`, rewrite));
  if (template === null || typeof template !== "object") return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    out[key] =
      key.endsWith(".$") && typeof value === "string"
        ? rewrite(`${where}.${key}`, value)
        : rewritePayloadTemplate(value, `${where}.${key}`, rewrite);
  }
  return out;
}

function rewriteChoiceRule(
  rule: Record<string, unknown>,
  where: string,
  rewrite: (field: string, expression: string) => string,
): void {
  for (const [key, value] of Object.entries(rule)) {
    if ((key === "Variable" || key.endsWith("Path")) && typeof value === "string") {
      rule[key] = rewrite(`${where}.${key}`, value);
    } else if ((key === "And" || key === "Or") && Array.isArray(value)) {
      value.forEach((nested, i) => {
        rewriteChoiceRule(nested as Record<string, unknown>, `${where}.${key}[${i}]`, rewrite);
      });
    } else if (key === "Not" && value && typeof value === "object") {
      rewriteChoiceRule(value as Record<string, unknown>, `${where}.Not`, rewrite);
    }
  }
}

/** Finds a stack's Lambda function by ARN (optionally qualified) or name, and reads its settings once. */
class FunctionLookup {
  private readonly byArn = new Map<string, string>();
  private readonly byName = new Map<string, string>();
  private readonly extracted = new Map<string, ExtractedFunction>();

  constructor(
    private readonly stackName: string,
    private readonly resources: ReadonlyArray<readonly [string, CfnResource]>,
    private readonly resolver: TemplateResolver,
  ) {
    for (const [logicalId] of resources) {
      this.byArn.set(lambdaFunctionArn(logicalId), logicalId);
      this.byName.set(resolver.physicalName(logicalId), logicalId);
    }
  }

  find(reference: string, where: string): ExtractedFunction {
    const unqualified = LAMBDA_FUNCTION_ARN.exec(reference)?.[1];
    const logicalId = unqualified ? this.byArn.get(unqualified) : this.byName.get(reference);
    if (!logicalId)
      throw new UnsupportedStateMachine(
        `${where}: ${reference} is not a Lambda function of stack ${this.stackName}`,
      );
    return this.extract(logicalId, where);
  }

  private extract(logicalId: string, where: string): ExtractedFunction {
    const cached = this.extracted.get(logicalId);
    if (cached) return cached;
    const resource = this.resources.find(([id]) => id === logicalId)![1];
    const properties = resource.Properties ?? {};
    const entry = resource.Metadata?.[HANDLER_ENTRY_METADATA];
    if (typeof entry !== "string")
      throw new UnsupportedStateMachine(
        `${where}: function ${logicalId} has no "${HANDLER_ENTRY_METADATA}" metadata naming its handler module; build it with HandlerFunction`,
      );
    const handler = typeof properties.Handler === "string" ? properties.Handler : "index.handler";
    const variables = this.resolver.resolve(
      (properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
      `${logicalId}.Environment.Variables`,
    ) as Record<string, unknown>;
    const fn: ExtractedFunction = {
      logicalId,
      stackName: this.stackName,
      functionName: this.resolver.physicalName(logicalId),
      functionArn: lambdaFunctionArn(logicalId),
      entry,
      handlerExport: handler.slice(handler.lastIndexOf(".") + 1),
      timeoutSeconds: Number(properties.Timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS),
      memorySize: Number(properties.MemorySize ?? LAMBDA_DEFAULT_MEMORY_MB),
      environment: Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [name, String(value)]),
      ),
    };
    this.extracted.set(logicalId, fn);
    return fn;
  }
}
