import { beforeAll, describe, expect, it } from "vitest";
import type { CfnResource, SynthesizedStack } from "../../../local/cloudformation-template.js";
import { lambdaFunctionArn, secretArn } from "../../../local/fake-aws.js";
import {
  type ExtractedApp,
  extractStateMachines,
  MAX_TIMER_SECONDS,
  UnsupportedStateMachine,
} from "../../../local/state-machine-extractor.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";
import { buildEngineFixtureApp, buildJsonataFixtureApp } from "../../fixtures/engine-fixture-app.js";

const INVOKE = "arn:aws:states:::lambda:invoke";

/** A one-function, one-state-machine stack; `FN_ARN` in the definition becomes `${Fn.Arn}` (Fn::Sub). */
function handMadeStack(
  definition: object,
  options: { machine?: Record<string, unknown>; fn?: Partial<CfnResource> } = {},
): SynthesizedStack {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JavaScript
  const text = JSON.stringify(definition).replaceAll("FN_ARN", "${Fn.Arn}");
  return {
    stackName: "Hand",
    template: {
      Resources: {
        Fn: {
          Type: "AWS::Lambda::Function",
          Properties: {
            Handler: "index.main",
            Timeout: 7,
            Environment: {
              Variables: {
                TABLE: { Ref: "Table" },
                // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
                WHERE: { "Fn::Sub": "${AWS::Region}/${AWS::StackName}" },
              },
            },
          },
          Metadata: { "practice-onboarding:entry": "functions/hand.ts" },
          ...options.fn,
        },
        Table: { Type: "AWS::DynamoDB::Table", Properties: { TableName: "declared-name" } },
        Machine: {
          Type: "AWS::StepFunctions::StateMachine",
          Properties: { DefinitionString: { "Fn::Sub": text }, ...options.machine },
        },
      },
    },
  };
}

const invokeTask = (extra: Record<string, unknown> = {}) => ({
  Type: "Task",
  Resource: INVOKE,
  Parameters: { FunctionName: "FN_ARN", "Payload.$": "$" },
  End: true,
  ...extra,
});

function extractOne(definition: object, options?: Parameters<typeof handMadeStack>[1]) {
  return extractStateMachines([handMadeStack(definition, options)]).stateMachines[0]!;
}

describe("extractStateMachines", () => {
  describe("on the fixture app", () => {
    let app: ExtractedApp;
    beforeAll(() => {
      app = extractStateMachines(synthesizeTemplates(buildEngineFixtureApp), {
        resourceNames: { TableCD117FA1: "fixture-table" },
      });
    });

    it("names each state machine by its CDK name, else its logical id, with its timeout", () => {
      expect(
        app.stateMachines.map(({ logicalId, name, configuredName, timeoutSeconds }) => ({
          logicalId,
          name,
          configuredName,
          timeoutSeconds,
        })),
      ).toEqual([
        {
          logicalId: "FlowA74D6E88",
          name: "engine-fixture-flow",
          configuredName: "engine-fixture-flow",
          timeoutSeconds: undefined,
        },
        {
          logicalId: "HangD89A21A7",
          name: "HangD89A21A7",
          configuredName: undefined,
          timeoutSeconds: undefined,
        },
        {
          logicalId: "Deadline86871E19",
          name: "Deadline86871E19",
          configuredName: undefined,
          timeoutSeconds: 1,
        },
        {
          logicalId: "Fanout5E42E65D",
          name: "Fanout5E42E65D",
          configuredName: undefined,
          timeoutSeconds: undefined,
        },
      ]);
    });

    it("binds every Lambda Task to its function and handler module, in both invoke forms", () => {
      const flow = app.stateMachines[0]!;
      expect(
        [...flow.lambdaTasks.values()].map((task) => [
          task.stateName,
          task.integration,
          task.function.logicalId,
          task.function.entry,
        ]),
      ).toEqual([
        ["Greet", "lambda:invoke", "GreetFunctionB4C97619", "test/fixtures/handlers/greet.ts"],
        ["Flaky", "lambda:invoke", "FlakyFunctionFD1FB82F", "test/fixtures/handlers/flaky.ts"],
        ["Label", "lambda:invoke", "LabelFunction1B3C89E8", "test/fixtures/handlers/label.ts"],
        ["Compensate", "lambda-arn", "CompensateFunction2BDE27FC", "test/fixtures/handlers/compensate.ts"],
      ]);
    });

    it("resolves the definition's tokens to fake ARNs carrying the logical id", () => {
      const flow = app.stateMachines[0]!;
      expect(flow.definition.States.Greet).toMatchObject({
        Resource: INVOKE,
        Parameters: { FunctionName: lambdaFunctionArn("GreetFunctionB4C97619") },
      });
      expect(flow.definition.States.Compensate!.Resource).toBe(
        lambdaFunctionArn("CompensateFunction2BDE27FC"),
      );
      expect(flow.roleArn).toBe("arn:aws:iam::000000000000:role/FlowRoleD99EA574");
    });

    it("resolves each function's environment, timeout and memory", () => {
      expect(app.functions.get("GreetFunctionB4C97619")).toEqual({
        logicalId: "GreetFunctionB4C97619",
        stackName: "EngineFixture",
        functionName: "GreetFunctionB4C97619",
        functionArn: lambdaFunctionArn("GreetFunctionB4C97619"),
        entry: "test/fixtures/handlers/greet.ts",
        handlerExport: "handler",
        timeoutSeconds: 10,
        memorySize: 256,
        environment: {
          POWERTOOLS_SERVICE_NAME: "practice-onboarding",
          FIXTURE_TABLE_NAME: "fixture-table",
          FIXTURE_SECRET_ARN: secretArn("engine-fixture/portal-credentials"),
        },
      });
      expect(app.functions.get("HangOneSecondFunction5AA3A4C5")!.timeoutSeconds).toBe(1);
    });

    it("rejects a JSONata state machine, naming it", () => {
      expect(() => extractStateMachines(synthesizeTemplates(buildJsonataFixtureApp))).toThrow(
        new UnsupportedStateMachine(
          'State machine Jsonata275ED3D4: QueryLanguage "JSONata" is not supported locally (aws-local-stepfunctions runs JSONPath only); write the workflow in JSONPath',
        ),
      );
    });
  });

  describe("on hand-made templates", () => {
    it("resolves Ref, Fn::Sub and pseudo parameters, and reads the handler export from Handler", () => {
      const machine = extractOne({ StartAt: "A", States: { A: invokeTask() } });
      expect(machine.lambdaTasks.get("A")!.function).toMatchObject({
        handlerExport: "main",
        timeoutSeconds: 7,
        memorySize: 128,
        environment: { TABLE: "declared-name", WHERE: "us-east-1/Hand" },
      });
    });

    it("uses the caller's physical names for Ref", () => {
      const [stack] = [handMadeStack({ StartAt: "A", States: { A: invokeTask() } })];
      const app = extractStateMachines([stack!], { resourceNames: { Table: "local-table" } });
      expect(app.functions.get("Fn")!.environment.TABLE).toBe("local-table");
    });

    it("makes Task timeouts explicit (AWS has no 60 s default) and clamps them to what a timer holds", () => {
      const machine = extractOne({
        StartAt: "A",
        TimeoutSeconds: 99_999_999,
        States: {
          A: invokeTask({ End: undefined, Next: "B" }),
          B: invokeTask({ TimeoutSeconds: 99_999_999 }),
        },
      });
      expect(machine.runnableDefinition.States.A!.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
      expect(machine.runnableDefinition.States.B!.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
      expect(machine.runnableDefinition.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
      expect(machine.definition.States.A!.TimeoutSeconds).toBeUndefined();
    });

    it("rewrites $$.Execution.StartTime and Input to the values the engine provides", () => {
      const machine = extractOne({
        StartAt: "P",
        States: {
          P: {
            Type: "Pass",
            Parameters: {
              "t.$": "$$.Execution.StartTime",
              "i.$": "$$.Execution.Input.id",
              "n.$": "$$.Execution.Name",
            },
            Next: "C",
          },
          C: {
            Type: "Choice",
            Choices: [{ Variable: "$$.Execution.Input.go", BooleanEquals: true, Next: "A" }],
            Default: "A",
          },
          A: invokeTask(),
        },
      });
      expect(machine.runnableDefinition.States.P!.Parameters).toEqual({
        "t.$": "$$.Execution.LocalStartTime",
        "i.$": "$$.Execution.LocalInput.id",
        "n.$": "$$.Execution.Name",
      });
      expect((machine.runnableDefinition.States.C!.Choices as { Variable: string }[])[0]!.Variable).toBe(
        "$$.Execution.LocalInput.go",
      );
    });

    const at = 'State machine Machine › state "S"';
    it.each([
      [
        "Arguments",
        invokeTask({ Arguments: {} }),
        `${at}: field "Arguments" (JSONata) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        "Assign",
        { Type: "Pass", Assign: { x: 1 }, End: true },
        `${at}: field "Assign" (workflow variables) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        "Output",
        { Type: "Pass", Output: {}, End: true },
        `${at}: field "Output" (JSONata) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        'ResultPath "$"',
        { Type: "Pass", Result: { x: 1 }, ResultPath: "$", End: true },
        `${at}: "ResultPath": "$" is mishandled by aws-local-stepfunctions (it adds a "$" key); use ResultPath "$.x" with OutputPath "$.x", or omit ResultPath`,
      ],
      [
        "per-state JSONata",
        { Type: "Pass", QueryLanguage: "JSONata", End: true },
        `${at}: field "QueryLanguage" is "JSONata", which aws-local-stepfunctions does not run; use JSONPath`,
      ],
      [
        "ItemReader",
        {
          Type: "Map",
          ItemReader: {},
          ItemProcessor: { StartAt: "I", States: { I: { Type: "Pass", End: true } } },
          End: true,
        },
        `${at}: field "ItemReader" (distributed Map) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        "ResultWriter",
        {
          Type: "Map",
          ResultWriter: {},
          ItemProcessor: { StartAt: "I", States: { I: { Type: "Pass", End: true } } },
          End: true,
        },
        `${at}: field "ResultWriter" (distributed Map) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        "distributed Map",
        {
          Type: "Map",
          ItemProcessor: {
            ProcessorConfig: { Mode: "DISTRIBUTED" },
            StartAt: "I",
            States: { I: { Type: "Pass", End: true } },
          },
          End: true,
        },
        `${at}: field "ItemProcessor.ProcessorConfig.Mode" DISTRIBUTED is not supported locally (inline Map only)`,
      ],
      [
        "Choice Condition",
        { Type: "Choice", Choices: [{ Condition: "{% true %}", Next: "S" }] },
        `${at}: field "Choices[0].Condition" (JSONata / variables) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        "Catch Assign",
        invokeTask({ Catch: [{ ErrorEquals: ["States.ALL"], Assign: {}, Next: "S" }] }),
        `${at}: field "Catch[0].Assign" (JSONata / variables) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        "HeartbeatSeconds",
        invokeTask({ HeartbeatSeconds: 5 }),
        `${at}: field "HeartbeatSeconds" (Task heartbeat) would be silently ignored by aws-local-stepfunctions`,
      ],
      [
        "waitForTaskToken",
        invokeTask({ Resource: `${INVOKE}.waitForTaskToken` }),
        `${at}: field "Resource" ${INVOKE}.waitForTaskToken uses a .sync / .waitForTaskToken integration, which runs only on AWS`,
      ],
      [
        ".sync",
        { Type: "Task", Resource: "arn:aws:states:::states:startExecution.sync:2", End: true },
        `${at}: field "Resource" arn:aws:states:::states:startExecution.sync:2 uses a .sync / .waitForTaskToken integration, which runs only on AWS`,
      ],
      [
        "another service",
        { Type: "Task", Resource: "arn:aws:states:::dynamodb:putItem", Parameters: {}, End: true },
        `${at}: field "Resource" arn:aws:states:::dynamodb:putItem is a service integration with no local handler (only Lambda Tasks run locally)`,
      ],
      [
        "dynamic FunctionName",
        invokeTask({ Parameters: { "FunctionName.$": "$.fn" } }),
        `${at}: field "Parameters.FunctionName.$" chooses the function at run time; the local engine binds functions statically`,
      ],
      [
        "an unknown function",
        invokeTask({ Parameters: { FunctionName: "elsewhere" } }),
        `${at}: field "Parameters.FunctionName": elsewhere is not a Lambda function of stack Hand`,
      ],
      [
        "$$.State outside Lambda Parameters",
        invokeTask({ ResultSelector: { "s.$": "$$.State.Name" } }),
        `${at}: field "ResultSelector.s.$" reads $$.State, which the local engine provides only in a Lambda Task's Parameters`,
      ],
    ])("rejects %s, naming the state and field", (_, state, message) => {
      expect(() => extractOne({ StartAt: "S", States: { S: state } })).toThrow(
        new UnsupportedStateMachine(message),
      );
    });

    it("rejects a Lambda function that has no handler entry metadata", () => {
      expect(() =>
        extractOne({ StartAt: "S", States: { S: invokeTask() } }, { fn: { Metadata: {} } }),
      ).toThrow(
        new UnsupportedStateMachine(
          'State machine Machine › state "S": field "Parameters.FunctionName": function Fn has no "practice-onboarding:entry" metadata naming its handler module; build it with HandlerFunction',
        ),
      );
    });

    it("rejects Express state machines", () => {
      expect(() =>
        extractOne(
          { StartAt: "S", States: { S: invokeTask() } },
          { machine: { StateMachineType: "EXPRESS" } },
        ),
      ).toThrow(
        new UnsupportedStateMachine(
          "State machine Machine: StateMachineType EXPRESS is not supported (Standard only)",
        ),
      );
    });

    it("rejects state names repeated inside a Parallel branch", () => {
      expect(() =>
        extractOne({
          StartAt: "S",
          States: {
            S: {
              Type: "Parallel",
              Branches: [{ StartAt: "S", States: { S: { Type: "Pass", End: true } } }],
              End: true,
            },
          },
        }),
      ).toThrow(
        new UnsupportedStateMachine(
          'State machine Machine › state "S": state names must be unique across the whole state machine',
        ),
      );
    });
  });
});
