import { App, Stack, Validations } from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { PracticeTable } from "../../lib/practice-table.js";
import { ReconciliationSchedule } from "../../lib/reconciliation-schedule.js";
import { ReconciliationWorkflow } from "../../lib/reconciliation-workflow.js";
import { synthesizedTemplate } from "../support/practice-table.js";
import {
  EXPECTED_TASK_RETRY,
  type Resource,
  roleActions,
  stateMachineDefinition,
  stateMachineResource,
  validateAsl,
} from "../support/synthesized-workflow.js";

const template = () =>
  synthesizedTemplate() as { Resources: Record<string, Resource>; Outputs: Record<string, unknown> };
const resources = () => template().Resources;
const definition = () => stateMachineDefinition("Reconciliation");
const actionsOf = (entry: string) => roleActions(entry);

const XRAY = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];
const TABLE_KMS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"];
const SECRET = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];

describe("ReconciliationWorkflow state machine", () => {
  it("is a Standard state machine, traced, logging without execution data, encrypted with the customer key", () => {
    expect(stateMachineResource("Reconciliation")[1].Properties).toMatchObject({
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { IncludeExecutionData: false, Level: "ALL" },
      EncryptionConfiguration: { Type: "CUSTOMER_MANAGED_KMS_KEY" },
    });
  });

  it("is valid ASL in JSONPath only", () => {
    const def = definition();
    const validation = validateAsl(def, { checkArn: true, checkPaths: true });
    expect({ isValid: validation.isValid, errors: validation.errors }).toEqual({ isValid: true, errors: [] });
    expect(def.QueryLanguage).toBe("JSONPath");
    expect(JSON.stringify(def)).not.toMatch(/JSONata|\{%|"Arguments"|"Assign"|"Output"|"ItemReader"/);
  });

  it("loops each phase on its own Task until the step says done, then moves on", () => {
    const def = definition();
    expect(def.StartAt).toBe("StartRun");
    expect(def.States.StartRun).toMatchObject({
      ResultPath: "$.start",
      OutputPath: "$.start",
      Next: "ListPortalKeys",
    });
    expect(def.States.AllKeysListed!.Choices).toEqual([
      { Variable: "$.progress.keys.done", BooleanEquals: true, Next: "CheckPractices" },
    ]);
    expect(def.States.AllKeysListed!.Default).toBe("ListPortalKeys");
    expect(def.States.AllPracticesChecked!.Default).toBe("CheckPractices");
    expect(def.States.CandidatesDecided!.Choices).toEqual([
      { Variable: "$.progress.candidates.done", BooleanEquals: false, Next: "ClassifyCandidates" },
      { Variable: "$.run.repair", BooleanEquals: true, Next: "RepairFindings" },
    ]);
    expect(def.States.CandidatesDecided!.Default).toBe("FinishRun");
    expect(def.States.AllRepairsMade!.Default).toBe("RepairFindings");
    expect(def.States.FinishRun).toMatchObject({
      ResultPath: "$.outcome",
      OutputPath: "$.outcome",
      Next: "Reconciled",
    });
  });

  it("hands each loop Task only the run and its cursor, and writes its answer back as the cursor", () => {
    const def = definition();
    for (const name of ["ListPortalKeys", "CheckPractices", "ClassifyCandidates", "RepairFindings"]) {
      expect({
        name,
        parameters: def.States[name]!.Parameters,
        resultPath: def.States[name]!.ResultPath,
      }).toEqual({
        name,
        parameters: { "run.$": "$.run", "progress.$": "$.progress" },
        resultPath: "$.progress",
      });
    }
  });

  it("retries only retryable errors with capped backoff and jitter, and records every later failure", () => {
    const def = definition();
    for (const [name, state] of Object.entries(def.States).filter(([, s]) => s.Type === "Task")) {
      expect({ name, retry: state.Retry, timeout: typeof state.TimeoutSeconds }).toEqual({
        name,
        retry: EXPECTED_TASK_RETRY,
        timeout: "number",
      });
    }
    for (const name of [
      "ListPortalKeys",
      "CheckPractices",
      "ClassifyCandidates",
      "RepairFindings",
      "FinishRun",
    ]) {
      expect({ name, catch: def.States[name]!.Catch }).toEqual({
        name,
        catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "RecordFailure" }],
      });
    }
    expect(def.States.StartRun!.Catch).toBeUndefined();
    expect(def.States.RecordFailure!.Next).toBe("ReconciliationFailed");
    expect(def.States.ReconciliationFailed).toEqual({
      Type: "Fail",
      ErrorPath: "$.error.Error",
      CausePath: "$.error.Cause",
    });
  });

  it("is exported as the stack output ReconciliationStateMachineArn", () => {
    expect(template().Outputs.ReconciliationStateMachineArn).toEqual({
      Value: { Ref: stateMachineResource("Reconciliation")[0] },
    });
  });
});

describe("ReconciliationWorkflow functions' IAM policies", () => {
  it.each([
    [
      "functions/reconciliation/reconciliation-start.ts",
      [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        ...TABLE_KMS,
        ...XRAY,
      ],
    ],
    [
      "functions/reconciliation/reconciliation-list-keys.ts",
      [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        // The rate limiter; an installed key's record, in one transaction with its audit entry and its
        // PracticeKeyInstalled outbox item (PutItem): no PutEvents, the stream delivers it.
        "dynamodb:UpdateItem",
        ...TABLE_KMS,
        ...SECRET,
        ...XRAY,
      ],
    ],
    [
      "functions/reconciliation/reconciliation-check-practices.ts",
      [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "states:DescribeExecution",
        ...TABLE_KMS,
        ...XRAY,
      ],
    ],
    [
      "functions/reconciliation/reconciliation-classify-candidates.ts",
      [
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        // Never adopts a lost POST's key while the attempt's onboarding execution is running.
        "states:DescribeExecution",
        ...TABLE_KMS,
        ...XRAY,
      ],
    ],
    [
      "functions/reconciliation/reconciliation-repair.ts",
      [
        "dynamodb:ConditionCheckItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        // The outcome event of each stuck practice it finishes goes into the outbox, not onto the bus.
        "states:DescribeExecution",
        ...TABLE_KMS,
        ...SECRET,
        ...XRAY,
      ],
    ],
    // The report and, in the same transaction, its ReconciliationCompleted outbox item: no PutEvents.
    [
      "functions/reconciliation/reconciliation-finish.ts",
      ["dynamodb:PutItem", "dynamodb:UpdateItem", ...TABLE_KMS, ...XRAY],
    ],
  ])("%s may do exactly what it needs", (entry, expected) => {
    expect(actionsOf(entry)).toEqual([...expected].sort());
  });

  it("describes only the onboarding and offboarding workflows' executions", () => {
    const statements = Object.values(resources())
      .filter(
        (r) =>
          r.Type === "AWS::IAM::Policy" &&
          JSON.stringify(r.Properties!.Roles).includes("ReconciliationFunctions"),
      )
      .flatMap(
        (r) =>
          (r.Properties!.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      )
      .filter((s) => [s.Action].flat().includes("states:DescribeExecution"));
    expect(
      statements.map((s) => JSON.stringify(s.Resource).match(/(On|Off)boardingStateMachine/)?.[0]).sort(),
    ).toEqual([
      "OffboardingStateMachine",
      "OffboardingStateMachine",
      "OffboardingStateMachine",
      "OnboardingStateMachine",
      "OnboardingStateMachine",
      "OnboardingStateMachine",
    ]);
    for (const s of statements) expect(JSON.stringify(s.Resource)).toMatch(/:execution:.*StateMachine.*:\*/);
  });
});

describe("ReconciliationSchedule", () => {
  it("starts the state machine hourly with {} (report-only), a retry policy and the encrypted dead-letter queue", () => {
    const schedules = Object.values(resources()).filter((r) => r.Type === "AWS::Scheduler::Schedule");
    expect(schedules).toHaveLength(1);
    const props = schedules[0]!.Properties!;
    expect(props.ScheduleExpression).toBe("rate(1 hour)");
    expect(props.State).toBe("ENABLED");
    const target = props.Target as Record<string, unknown>;
    expect(target.Arn).toEqual({ Ref: stateMachineResource("Reconciliation")[0] });
    expect(target.Input).toBe("{}");
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 1800, MaximumRetryAttempts: 5 });
    const dlqId = ((target.DeadLetterConfig as { Arn: { "Fn::GetAtt": [string] } }).Arn["Fn::GetAtt"] ??
      [])[0]!;
    expect(resources()[dlqId]).toMatchObject({
      Type: "AWS::SQS::Queue",
      Properties: { KmsMasterKeyId: { "Fn::GetAtt": [expect.stringMatching(/^EncryptionKey/), "Arn"] } },
    });
  });
});

describe("Reconciliation constructs under cdk-nag", () => {
  it("have no unacknowledged AwsSolutions findings of their own", () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, "ReconciliationNag", {
      env: { account: "123456789012", region: "us-east-1" },
    });
    const key = new kms.Key(stack, "Key", { enableKeyRotation: true });
    const table = new PracticeTable(stack, "Table", { encryptionKey: key });
    const onboarding = new sfn.StateMachine(stack, "Onboarding", {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, "Done")),
    });
    const secret = new secretsmanager.Secret(stack, "Portal", { encryptionKey: key });
    for (const [scope, id] of [
      [onboarding, "AwsSolutions-SF1"],
      [onboarding, "AwsSolutions-SF2"],
      [secret, "AwsSolutions-SMG4"],
    ] as const) {
      Validations.of(scope).acknowledge({
        id: `AwsSolutions::${id}`,
        reason: "Test stand-in, not under test.",
      });
    }
    const workflow = new ReconciliationWorkflow(stack, "Reconciliation", {
      table,
      portalCredentials: secret,
      encryptionKey: key,
      onboardingStateMachine: onboarding,
    });
    new ReconciliationSchedule(stack, "Schedule", {
      stateMachine: workflow.stateMachine,
      encryptionKey: key,
    });
    for (const handler of Object.values(workflow.functions)) {
      for (const id of [
        "AwsSolutions-L1",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      ]) {
        Validations.of(handler.function).acknowledge({
          id: `AwsSolutions::${id}`,
          reason: "Owned by HandlerFunction.",
        });
      }
    }

    expect(() => app.synth()).not.toThrow();
  });
});
