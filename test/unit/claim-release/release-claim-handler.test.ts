// The claim release Lambda handler: an event it cannot use is logged and ignored, never thrown (a throw would
// have Lambda retry it twice and then dead-letter it, alarming for nothing).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler } from "../../../functions/claim-release/release-claim.js";
import { captureProcessOutput } from "../../support/captured-output.js";

const output = captureProcessOutput();
const ONBOARDING_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:Onboarding";

const VARIABLES = [
  "TABLE_NAME",
  "PORTAL_SECRET_ARN",
  "ONBOARDING_STATE_MACHINE_ARN",
  "OFFBOARDING_STATE_MACHINE_ARN",
] as const;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

beforeAll(() => {
  process.env.TABLE_NAME = "practices";
  process.env.PORTAL_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:portal";
  process.env.ONBOARDING_STATE_MACHINE_ARN = ONBOARDING_ARN;
  process.env.OFFBOARDING_STATE_MACHINE_ARN =
    "arn:aws:states:us-east-1:000000000000:stateMachine:Offboarding";
});

afterAll(() => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe("release-claim handler", () => {
  it("returns ignored for a malformed event and logs one error line naming the field", async () => {
    await expect(handler({ source: "aws.states", detail: "nope" })).resolves.toEqual({
      outcome: "ignored",
      reason: "malformed event: detail-type: Invalid input",
    });
    expect(
      output
        .records()
        .filter((r) => r.level === "ERROR")
        .map(({ message, field }) => ({ message, field })),
    ).toEqual([{ message: "malformed execution status event ignored", field: "detail-type" }]);
  });

  it("returns ignored for an execution of another state machine, naming its execution in the log", async () => {
    const event = {
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: {
        name: "recon-1",
        stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:Reconciliation",
        status: "FAILED",
        input: "{}",
      },
    };
    await expect(handler(event)).resolves.toEqual({
      outcome: "ignored",
      reason: "not an onboarding or offboarding execution",
    });
    expect(output.records().find((r) => r.level === "WARN")).toMatchObject({
      message: "execution status event of another state machine ignored",
      executionName: "recon-1",
    });
  });
});
