// Which rules the local stack reads for Step Functions' status changes, how it matches them, and what it refuses.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../../lib/build-app.js";
import type { SynthesizedStack } from "../../../local/cloudformation-template.js";
import {
  executionStatusChangeEvent,
  executionStatusRules,
  matchesEventPattern,
  UnsupportedEventRule,
} from "../../../local/execution-status-events.js";
import { stateMachineArn } from "../../../local/fake-aws.js";
import { extractStateMachines } from "../../../local/state-machine-extractor.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";

const templates = synthesizeTemplates(buildApp);
const app = extractStateMachines(templates);
const machine = (prefix: string) => app.stateMachines.find((m) => m.logicalId.startsWith(prefix))!;

function ended(stateMachine: string, status: string) {
  return executionStatusChangeEvent(
    {
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:${stateMachine}:e1`,
      stateMachineArn: stateMachineArn(stateMachine),
      name: "e1",
      status: status as "FAILED",
      startDate: new Date("2026-11-26T20:00:00.000Z"),
      stopDate: new Date("2026-11-26T20:01:00.000Z"),
      input: '{"practiceId":"p1"}',
    },
    status,
    new Date("2026-11-26T20:01:00.123Z"),
  );
}

/** A stack with one function and one rule with the given pattern and target fields. */
function ruleStack(pattern: unknown, target: Record<string, unknown> = {}): SynthesizedStack {
  return {
    stackName: "Hand",
    template: {
      Resources: {
        Fn: {
          Type: "AWS::Lambda::Function",
          Properties: { Handler: "index.handler", Timeout: 5 },
          Metadata: { "practice-onboarding:entry": "functions/hand.ts" },
        },
        Rule: {
          Type: "AWS::Events::Rule",
          Properties: {
            EventPattern: pattern,
            Targets: [{ Id: "T", Arn: { "Fn::GetAtt": ["Fn", "Arn"] }, ...target }],
          },
        },
      },
    },
  };
}

describe("executionStatusRules", () => {
  it("finds the claim release rule, its state machines resolved to the local ARNs and its function bound", () => {
    const rules = executionStatusRules(templates, app.functions);
    expect(rules.map((rule) => [rule.logicalId.replace(/[0-9A-F]{8}$/, ""), rule.pattern])).toEqual([
      [
        "ClaimReleaseExecutionEndedWithoutRelease",
        {
          source: ["aws.states"],
          "detail-type": ["Step Functions Execution Status Change"],
          detail: {
            status: ["FAILED", "TIMED_OUT", "ABORTED"],
            stateMachineArn: [machine("Onboarding").stateMachineArn, machine("Offboarding").stateMachineArn],
          },
        },
      ],
    ]);
    expect(rules[0]!.targets.map((fn) => fn.entry)).toEqual(["functions/claim-release/release-claim.ts"]);
  });

  it("refuses a pattern with a content filter it cannot match faithfully", () => {
    const stack = ruleStack({ source: ["aws.states"], detail: { name: [{ prefix: "crm-" }] } });
    const functions = extractStateMachines([stack]).functions;
    expect(() => executionStatusRules([stack], functions)).toThrow(
      new UnsupportedEventRule(
        'Rule Rule.detail: field "name" uses a content filter; only lists of values are supported locally',
      ),
    );
  });

  it("refuses a target that reshapes the event", () => {
    const stack = ruleStack({ source: ["aws.states"] }, { InputPath: "$.detail" });
    const functions = extractStateMachines([stack]).functions;
    expect(() => executionStatusRules([stack], functions)).toThrow(
      new UnsupportedEventRule("Rule Rule.Targets[0]: InputPath is not supported locally"),
    );
  });

  it("leaves rules on other sources alone", () => {
    const stack = ruleStack({ source: ["aws.s3"], detail: { name: [{ prefix: "x" }] } });
    expect(executionStatusRules([stack], extractStateMachines([stack]).functions)).toEqual([]);
  });
});

describe("matchesEventPattern", () => {
  const [rule] = executionStatusRules(templates, app.functions);
  const name = (prefix: string) => machine(prefix).name;

  it.each([
    ["an aborted onboarding", "Onboarding", "ABORTED", true],
    ["a timed-out offboarding", "Offboarding", "TIMED_OUT", true],
    ["a failed onboarding", "Onboarding", "FAILED", true],
    ["a succeeded onboarding", "Onboarding", "SUCCEEDED", false],
    ["a failed reconciliation", "Reconciliation", "FAILED", false],
  ])("matches %s: %s", (_label, prefix, status, expected) => {
    expect(matchesEventPattern(rule!.pattern, ended(name(prefix), status))).toBe(expected);
  });

  it("matches an array field when one of its elements is listed", () => {
    expect(matchesEventPattern({ resources: ["b"] }, { resources: ["a", "b"] })).toBe(true);
    expect(matchesEventPattern({ resources: ["c"] }, { resources: ["a", "b"] })).toBe(false);
  });

  it("does not match an event missing a field of the pattern", () => {
    expect(matchesEventPattern({ detail: { status: ["FAILED"] } }, { source: "aws.states" })).toBe(false);
  });
});

describe("executionStatusChangeEvent", () => {
  it("has the shape EventBridge delivers, times in epoch milliseconds", () => {
    expect(ended("Onboarding", "ABORTED")).toEqual({
      version: "0",
      id: expect.any(String),
      "detail-type": "Step Functions Execution Status Change",
      source: "aws.states",
      account: "000000000000",
      time: "2026-11-26T20:01:00Z",
      region: "us-east-1",
      resources: ["arn:aws:states:us-east-1:000000000000:execution:Onboarding:e1"],
      detail: {
        executionArn: "arn:aws:states:us-east-1:000000000000:execution:Onboarding:e1",
        stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:Onboarding",
        name: "e1",
        status: "ABORTED",
        startDate: Date.parse("2026-11-26T20:00:00.000Z"),
        stopDate: Date.parse("2026-11-26T20:01:00.000Z"),
        input: '{"practiceId":"p1"}',
        inputDetails: { included: true },
        output: null,
        outputDetails: null,
        error: null,
        cause: null,
      },
    });
  });
});
