import { describe, expect, it } from "vitest";
import { aslPath } from "../../bench/asl-path.js";
import {
  EXPECTED_TASK_RETRY,
  functionRole,
  roleActions,
  stateMachineDefinition,
  stateMachineResource,
  templateResources,
  validateAsl,
} from "../support/synthesized-workflow.js";

const definition = () => stateMachineDefinition("Onboarding");
const taskStates = () => Object.entries(definition().States).filter(([, s]) => s.Type === "Task");

/** Every IAM action the role of the function built from `entry` allows; managed policies by ARN. */
const actionsOf = (entry: string) =>
  [...roleActions(entry), ...functionRole(entry).managedPolicyArns.map((arn) => JSON.stringify(arn))].sort();

const XRAY = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];
const TABLE_KMS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"];
const ITEM_RW = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"];
const SECRET = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];
const BASIC_EXECUTION = JSON.stringify({
  "Fn::Join": [
    "",
    ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
  ],
});

describe("OnboardingWorkflow state machine", () => {
  it("is a Standard state machine, traced, logging without execution data, encrypted with the customer key", () => {
    const [, sm] = stateMachineResource("Onboarding");
    expect(sm.Properties).toMatchObject({
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { IncludeExecutionData: false, Level: "ALL" },
      EncryptionConfiguration: { Type: "CUSTOMER_MANAGED_KMS_KEY" },
    });
  });

  it("is valid ASL in JSONPath only: no JSONata, Arguments, Assign or Output anywhere", () => {
    const def = definition();
    const validation = validateAsl(def, { checkArn: true, checkPaths: true });
    expect({ isValid: validation.isValid, errors: validation.errors }).toEqual({ isValid: true, errors: [] });
    expect(def.QueryLanguage).toBe("JSONPath");
    for (const [name, state] of Object.entries(def.States)) {
      expect({
        name,
        keys: Object.keys(state).filter(
          (k) =>
            ["Arguments", "Assign", "Output"].includes(k) ||
            (k === "QueryLanguage" && state[k] !== "JSONPath"),
        ),
      }).toEqual({
        name,
        keys: [],
      });
    }
    expect(JSON.stringify(def)).not.toMatch(/JSONata|\{%/);
  });

  it("runs claim, then create, then label and record in one Task, with the claim outcome deciding the branch", () => {
    const def = definition();
    expect(def.StartAt).toBe("ClaimPractice");
    expect(def.States.ClaimPractice!.Next).toBe("ClaimOutcome");
    expect(def.States.ClaimOutcome!.Choices).toEqual([
      { Variable: "$.outcome", StringEquals: "claimed", Next: "CreateKey" },
      { Variable: "$.outcome", StringEquals: "returning", Next: "ReenablePreviousKey" },
      { Variable: "$.outcome", StringEquals: "alreadyActive", Next: "AlreadyOnboarded" },
      { Variable: "$.outcome", StringEquals: "inProgress", Next: "OnboardingInProgressElsewhere" },
      { Variable: "$.outcome", StringEquals: "stale", Next: "Stale" },
    ]);
    // A request issued at or before the practice's last transition is handled, not failed (docs/events.md).
    expect(def.States.Stale).toEqual({ Type: "Succeed" });
    expect(def.States.CreateKey!.Next).toBe("LabelKeyAndRecordActive");
    expect(def.States.LabelKeyAndRecordActive!.Next).toBe("Onboarded");
    expect(def.States.ReenablePreviousKey!.Next).toBe("PreviousKeyReenabled");
    // A re-enabled key is labeled and recorded by the same Task; one that could not be gets a new key.
    expect(def.States.PreviousKeyReenabled).toMatchObject({
      Choices: [{ Variable: "$.reenable.reenabled", BooleanEquals: true, Next: "LabelKeyAndRecordActive" }],
      Default: "CreateKey",
    });
    expect(Object.keys(def.States)).not.toContain("LabelKey");
    expect(Object.keys(def.States)).not.toContain("RecordActive");
  });

  it("gives every Task a timeout and an explicit ResultPath, and the execution a timeout", () => {
    const def = definition();
    expect(def.TimeoutSeconds).toBe(1800);
    for (const [name, state] of taskStates()) {
      expect({ name, timeout: typeof state.TimeoutSeconds, resultPath: typeof state.ResultPath }).toEqual({
        name,
        timeout: "number",
        resultPath: "string",
      });
    }
  });

  it("keeps a Task refused a rate-limit slot retrying for as long as a burst of 200 onboardings at 1 req/s takes", () => {
    // 200 onboardings send 400 requests: 400 s of budget at the default 1 req/s. A Task whose slot would be more
    // than PORTAL_MAX_WAIT_MS away throws PortalThrottled; Step Functions must bring it back until the queue has
    // drained, or a CRM's bulk onboarding fails most practices. Under full jitter a retry waits a uniform
    // [0, min(Interval × Backoff^k, MaxDelay)] (AWS Step Functions "Retrying after an error"): judged by the mean.
    const burstSeconds = (2 * 200) / 1;
    for (const [name, state] of taskStates()) {
      const retriers = state.Retry as {
        ErrorEquals: string[];
        IntervalSeconds: number;
        BackoffRate: number;
        MaxAttempts: number;
        MaxDelaySeconds?: number;
        JitterStrategy?: string;
      }[];
      const throttled = retriers.find((r) => r.ErrorEquals.includes("PortalThrottled"))!;
      let expectedSeconds = 0;
      for (let k = 0; k < throttled.MaxAttempts; k += 1) {
        const delay = Math.min(
          throttled.IntervalSeconds * throttled.BackoffRate ** k,
          throttled.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
        );
        expectedSeconds += throttled.JitterStrategy === "FULL" ? delay / 2 : delay;
      }
      expect({ name, expectedSeconds: expectedSeconds >= burstSeconds }).toEqual({
        name,
        expectedSeconds: true,
      });
    }
  });

  it("retries only retryable errors, with capped exponential backoff and full jitter", () => {
    for (const [name, state] of taskStates()) {
      expect({ name, retry: state.Retry }).toEqual({ name, retry: EXPECTED_TASK_RETRY });
      const retried = (state.Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      for (const never of [
        "PortalUnauthorized",
        "PortalRejected",
        "InvalidInput",
        "States.ALL",
        "States.TaskFailed",
      ]) {
        expect(retried).not.toContain(never);
      }
    }
  });

  it("sends every failure after the claim to compensation, and compensation to a Fail naming the error", () => {
    const def = definition();
    for (const name of ["CreateKey", "ReenablePreviousKey", "LabelKeyAndRecordActive"]) {
      expect({ name, catch: def.States[name]!.Catch }).toEqual({
        name,
        catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Compensate" }],
      });
    }
    expect(def.States.ClaimPractice!.Catch).toBeUndefined();
    expect(def.States.Compensate!.Next).toBe("OnboardingFailed");
    expect(def.States.OnboardingFailed).toEqual({
      Type: "Fail",
      ErrorPath: "$.error.Error",
      CausePath: "$.compensation.reason",
    });
  });

  it("has no publish state: each outcome's event is written with it and delivered from the table's stream", () => {
    const def = definition();
    expect(Object.keys(def.States).filter((name) => /Publish/.test(name))).toEqual([]);
    // The happy path is five states (claim, choice, create, label and record, succeed): five transitions.
    const happy = ["ClaimPractice", "ClaimOutcome", "CreateKey", "LabelKeyAndRecordActive", "Onboarded"];
    for (const [from, to] of happy.slice(0, -1).map((name, i) => [name, happy[i + 1]!] as const)) {
      const state = def.States[from]!;
      const next =
        state.Next ??
        (state.Choices as { StringEquals: string; Next: string }[] | undefined)?.find(
          (c) => c.StringEquals === "claimed",
        )?.Next;
      expect({ from, next }).toEqual({ from, next: to });
    }
    // What Step Functions bills along it (bench/asl-path.ts): $0.025 per 1,000 transitions each.
    expect(aslPath(def, { "$.outcome": "claimed" })).toEqual({
      states: happy,
      stateTransitions: 5,
      lambdaInvocations: 3,
    });
  });

  it("passes practice ids and the execution name to the steps, never a key", () => {
    const def = definition();
    expect(def.States.ClaimPractice!.Parameters).toEqual({
      "input.$": "$",
      "executionName.$": "$$.Execution.Name",
    });
    expect(def.States.LabelKeyAndRecordActive!.Parameters).toEqual({
      "practiceId.$": "$.practiceId",
      "requestedBy.$": "$.requestedBy",
      "executionName.$": "$$.Execution.Name",
      "devRefId.$": "$.devRefId",
    });
  });
});

describe("OnboardingWorkflow functions' IAM policies", () => {
  it.each([
    [
      "functions/onboarding/onboarding-claim.ts",
      [...ITEM_RW, "dynamodb:ConditionCheckItem", ...TABLE_KMS, ...XRAY],
    ],
    [
      "functions/onboarding/onboarding-create-key.ts",
      [...ITEM_RW, "dynamodb:ConditionCheckItem", ...TABLE_KMS, ...SECRET, ...XRAY],
    ],
    ["functions/onboarding/onboarding-reenable-key.ts", [...ITEM_RW, ...TABLE_KMS, ...SECRET, ...XRAY]],
    // The label's portal secret and custody-key decrypt (kms:Decrypt, in TABLE_KMS) and the record's item writes,
    // whose transaction checks the claim release's ended-execution record.
    [
      "functions/onboarding/onboarding-label-and-record.ts",
      [...ITEM_RW, "dynamodb:ConditionCheckItem", ...TABLE_KMS, ...SECRET, ...XRAY],
    ],
    ["functions/onboarding/onboarding-compensate.ts", [...ITEM_RW, ...TABLE_KMS, ...SECRET, ...XRAY]],
  ])("%s may do exactly what it needs", (entry, expected) => {
    expect(actionsOf(entry)).toEqual([...expected, BASIC_EXECUTION].sort());
  });

  it("scopes table actions to the practice table and secret reads to the portal credentials (and the key-fingerprint secret)", () => {
    for (const r of Object.values(templateResources())) {
      if (
        r.Type !== "AWS::IAM::Policy" ||
        !String(JSON.stringify(r.Properties!.Roles)).includes("OnboardingFunctions")
      ) {
        continue;
      }
      const statements = (
        r.Properties!.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }
      ).Statement;
      for (const s of statements) {
        const actions = [s.Action].flat();
        if (actions.some((a) => a.startsWith("dynamodb:")))
          expect(JSON.stringify(s.Resource)).toContain("PracticesTable");
        if (actions.some((a) => a.startsWith("secretsmanager:"))) {
          expect(s.Resource).toEqual({
            Ref: expect.stringMatching(/^(SecretsPortalCredentials|KeyCustodyFingerprintSecret)/),
          });
        }
      }
    }
  });
});
