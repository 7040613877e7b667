// The synthesized Offboarding state machine and its functions' exact IAM statements.
import { describe, expect, it } from "vitest";
import { synthesizedTemplate } from "../support/practice-table.js";
import {
  arnOf,
  EXPECTED_TASK_RETRY,
  functionLogicalId,
  functionRole,
  logicalIdOf,
  roleStatements,
  type Statement,
  stateMachineDefinition,
  stateMachineResource,
  validateAsl,
} from "../support/synthesized-workflow.js";

const definition = () => stateMachineDefinition("Offboarding");
const taskStates = () => Object.entries(definition().States).filter(([, s]) => s.Type === "Task");

const ENTRIES = {
  claim: "functions/offboarding/offboarding-claim.ts",
  disableKey: "functions/offboarding/offboarding-disable-key.ts",
  record: "functions/offboarding/offboarding-record.ts",
  compensate: "functions/offboarding/offboarding-compensate.ts",
} as const;

const BASIC_EXECUTION = {
  "Fn::Join": [
    "",
    ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  ],
};

function expectedFunctionStatements(portal: boolean, claim = false): Statement[] {
  const table = logicalIdOf("AWS::DynamoDB::Table", "Practices");
  const key = logicalIdOf("AWS::KMS::Key", "Encryption");
  const secret = logicalIdOf("AWS::SecretsManager::Secret", "SecretsPortalCredentials");
  return [
    { Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Effect: "Allow", Resource: "*" },
    {
      // The claim's transaction checks the claim release's ended-execution record (ConditionCheck).
      Action: [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        ...(claim ? ["dynamodb:ConditionCheckItem"] : []),
      ],
      Effect: "Allow",
      Resource: arnOf(table),
    },
    {
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
      Effect: "Allow",
      Resource: arnOf(key),
    },
    ...(portal
      ? [
          {
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Effect: "Allow",
            Resource: { Ref: secret },
          },
          {
            // Key custody (docs/architecture.md §4 invariant 13): it opens the stored key to send it to the portal.
            Action: "kms:Decrypt",
            Condition: { StringEquals: { "kms:EncryptionContext:purpose": "open-dental-customer-key" } },
            Effect: "Allow",
            Resource: arnOf(logicalIdOf("AWS::KMS::Key", "KeyCustody")),
          },
        ]
      : []),
  ];
}

describe("OffboardingWorkflow state machine", () => {
  it("is a Standard state machine, traced, logging without execution data, encrypted with the customer key", () => {
    const [, sm] = stateMachineResource("Offboarding");
    expect(sm.Properties).toMatchObject({
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { IncludeExecutionData: false, Level: "ALL" },
      EncryptionConfiguration: { Type: "CUSTOMER_MANAGED_KMS_KEY" },
    });
  });

  it("is exported as the stack output OffboardingStateMachineArn", () => {
    const [id] = stateMachineResource("Offboarding");
    const outputs = (synthesizedTemplate() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(outputs.OffboardingStateMachineArn).toEqual({ Value: { Ref: id } });
  });

  it("is valid ASL in JSONPath only: no JSONata, Arguments, Assign or Output anywhere", () => {
    const def = definition();
    const validation = validateAsl(def, { checkArn: true, checkPaths: true });
    expect({ isValid: validation.isValid, errors: validation.errors }).toEqual({ isValid: true, errors: [] });
    expect(def.QueryLanguage).toBe("JSONPath");
    for (const [name, state] of Object.entries(def.States)) {
      const forbidden = Object.keys(state).filter(
        (k) =>
          ["Arguments", "Assign", "Output"].includes(k) || (k === "QueryLanguage" && state[k] !== "JSONPath"),
      );
      expect({ name, forbidden }).toEqual({ name, forbidden: [] });
    }
    expect(JSON.stringify(def)).not.toMatch(/JSONata|\{%/);
  });

  it("runs claim, then disable and record, with the claim outcome deciding the branch", () => {
    const def = definition();
    expect(Object.keys(def.States).sort()).toEqual(
      [
        "AlreadyOffboarded",
        "ClaimForOffboarding",
        "CompensationFailed",
        "DisableKey",
        "Offboarded",
        "OffboardingClaimOutcome",
        "OffboardingFailed",
        "RecordOffboarded",
        "RestorePractice",
        "Stale",
        "UnexpectedClaimOutcome",
      ].sort(),
    );
    expect(def.StartAt).toBe("ClaimForOffboarding");
    expect(def.States.ClaimForOffboarding!.Next).toBe("OffboardingClaimOutcome");
    expect(def.States.OffboardingClaimOutcome).toEqual({
      Type: "Choice",
      Choices: [
        { Variable: "$.outcome", StringEquals: "claimed", Next: "DisableKey" },
        { Variable: "$.outcome", StringEquals: "alreadyOffboarded", Next: "AlreadyOffboarded" },
        { Variable: "$.outcome", StringEquals: "stale", Next: "Stale" },
      ],
      Default: "UnexpectedClaimOutcome",
    });
    expect(def.States.DisableKey!.Next).toBe("RecordOffboarded");
    // No publish state: PracticeOffboarded is written with the record and delivered from the table's stream.
    expect(def.States.RecordOffboarded!.Next).toBe("Offboarded");
    expect(def.States.AlreadyOffboarded).toEqual({ Type: "Succeed" });
    // A request issued at or before the practice's last transition is handled, not failed (docs/events.md).
    expect(def.States.Stale).toEqual({ Type: "Succeed" });
    expect(def.States.Offboarded).toEqual({ Type: "Succeed" });
  });

  it("gives every Task a timeout over its function's and an explicit ResultPath, and the execution 15 minutes", () => {
    const def = definition();
    expect(def.TimeoutSeconds).toBe(900);
    expect(
      Object.fromEntries(
        taskStates().map(([name, s]) => [name, [s.TimeoutSeconds, s.ResultPath, s.OutputPath]]),
      ),
    ).toEqual({
      ClaimForOffboarding: [40, "$.claim", "$.claim"],
      DisableKey: [100, "$.disable", undefined],
      RecordOffboarded: [40, "$.record", undefined],
      RestorePractice: [40, "$.compensation", undefined],
    });
  });

  it("retries only retryable errors, with capped exponential backoff and full jitter", () => {
    for (const [name, state] of taskStates()) {
      expect({ name, retry: state.Retry }).toEqual({
        name,
        retry: EXPECTED_TASK_RETRY,
      });
    }
  });

  it("fails at the claim without compensation, and sends every later failure to compensation, then Fail", () => {
    const def = definition();
    expect(def.States.ClaimForOffboarding!.Catch).toBeUndefined();
    for (const name of ["DisableKey", "RecordOffboarded"]) {
      expect({ name, catch: def.States[name]!.Catch }).toEqual({
        name,
        catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "RestorePractice" }],
      });
    }
    expect(def.States.RestorePractice!.Next).toBe("OffboardingFailed");
    expect(def.States.RestorePractice!.Catch).toEqual([
      { ErrorEquals: ["States.ALL"], ResultPath: "$.compensationError", Next: "CompensationFailed" },
    ]);
    expect(def.States.OffboardingFailed).toEqual({
      Type: "Fail",
      ErrorPath: "$.error.Error",
      CausePath: "$.compensation.reason",
    });
    expect(def.States.CompensationFailed).toEqual({
      Type: "Fail",
      ErrorPath: "$.compensationError.Error",
      CausePath: "$.compensationError.Cause",
    });
  });

  it("passes the practice id and the execution name to the steps, never a key or the reason", () => {
    const owned = { "practiceId.$": "$.practiceId", "executionName.$": "$$.Execution.Name" };
    expect(Object.fromEntries(taskStates().map(([name, s]) => [name, [s.Resource, s.Parameters]]))).toEqual({
      ClaimForOffboarding: [
        `arn:aws:lambda:us-east-1:123456789012:function:${functionLogicalId(ENTRIES.claim)}`,
        { "input.$": "$", "executionName.$": "$$.Execution.Name" },
      ],
      DisableKey: [
        `arn:aws:lambda:us-east-1:123456789012:function:${functionLogicalId(ENTRIES.disableKey)}`,
        owned,
      ],
      RecordOffboarded: [
        `arn:aws:lambda:us-east-1:123456789012:function:${functionLogicalId(ENTRIES.record)}`,
        owned,
      ],
      RestorePractice: [
        `arn:aws:lambda:us-east-1:123456789012:function:${functionLogicalId(ENTRIES.compensate)}`,
        { ...owned, "error.$": "$.error" },
      ],
    });
  });
});

describe("OffboardingWorkflow IAM", () => {
  it.each([
    [ENTRIES.claim, false, true],
    [ENTRIES.record, false, false],
    [ENTRIES.compensate, false, false],
    [ENTRIES.disableKey, true, false],
  ])("%s may do exactly what it needs and nothing more", (entry, portal, claim) => {
    const { roleId, managedPolicyArns } = functionRole(entry);
    expect(roleStatements(roleId)).toEqual(expectedFunctionStatements(portal, claim));
    expect(managedPolicyArns).toEqual([BASIC_EXECUTION]);
  });

  it("lets the state machine invoke exactly its four functions", () => {
    const [, sm] = stateMachineResource("Offboarding");
    const roleId = (sm.Properties!.RoleArn as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
    const invoke = roleStatements(roleId).filter((s) =>
      [s.Action].flat().some((a) => a.startsWith("lambda:")),
    );
    expect(invoke).toEqual(
      // In the order the state machine's Tasks were defined.
      [
        functionLogicalId(ENTRIES.claim),
        functionLogicalId(ENTRIES.disableKey),
        functionLogicalId(ENTRIES.record),
        functionLogicalId(ENTRIES.compensate),
      ].map((id) => ({
        Action: "lambda:InvokeFunction",
        Effect: "Allow",
        Resource: [arnOf(id), { "Fn::Join": ["", [arnOf(id), ":*"]] }],
      })),
    );
    const actions = roleStatements(roleId)
      .flatMap((s) => [s.Action].flat())
      .filter((a) => !a.startsWith("logs:") && !a.startsWith("xray:"));
    expect(actions.sort()).toEqual([
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKey",
      ...Array(4).fill("lambda:InvokeFunction"),
    ]);
  });
});
