// Every state machine the app deploys, as deployed (tokens resolved), checked against the Amazon States Language
// spec by asl-validator: a definition CloudFormation would accept but Step Functions reject fails here first.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../lib/build-app.js";
import { extractStateMachines } from "../../local/state-machine-extractor.js";
import { synthesizeTemplates } from "../../local/synthesize.js";
import { validateAsl } from "../support/synthesized-workflow.js";

const { stateMachines } = extractStateMachines(synthesizeTemplates(buildApp));

describe("PracticeOnboarding state machine definitions", () => {
  it("deploys the onboarding, offboarding, offboarding request and reconciliation state machines", () => {
    expect(stateMachines.map((machine) => machine.logicalId).sort()).toEqual([
      expect.stringMatching(/^OffboardingRequestStateMachine/),
      expect.stringMatching(/^OffboardingStateMachine/),
      expect.stringMatching(/^OnboardingStateMachine/),
      expect.stringMatching(/^ReconciliationStateMachine/),
    ]);
  });

  it("rejects a definition whose Next names no state (the check is live)", () => {
    const broken = { StartAt: "A", States: { A: { Type: "Pass", Next: "Missing" } } };
    const result = validateAsl(broken, { checkPaths: true, checkArn: true });
    expect(result.isValid).toBe(false);
    expect(result.errorsText()).toContain("MISSING_TRANSITION_TARGET");
  });

  it.each(stateMachines.map((machine) => [machine.logicalId, machine] as const))(
    "%s is valid Amazon States Language",
    (_logicalId, machine) => {
      // The validator fills in QueryLanguage on the object it is given; keep the extracted definition intact.
      const result = validateAsl(structuredClone(machine.definition), { checkPaths: true, checkArn: true });
      expect(result.isValid, result.errorsText("\n")).toBe(true);
      expect(result.errors).toEqual([]);
    },
  );
});
