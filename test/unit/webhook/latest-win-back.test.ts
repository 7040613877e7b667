// The churn check reads win-backs from stopped offboarding requests: only those stopped after the churn was issued
// are described, so 90 days of stopped requests do not each cost a DescribeExecution on every churn.
import { DescribeExecutionCommand, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { createLatestWinBackReader, wonBackCause } from "../../../functions/webhook/lifecycle-starter.js";

const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:OffboardingRequest";
const arn = (name: string) => `${MACHINE.replace(":stateMachine:", ":execution:")}:${name}`;

describe("createLatestWinBackReader", () => {
  it("describes only requests stopped after the churn was issued (less 5 minutes' skew), and finds the practice's latest win-back", async () => {
    const executions = [
      { executionArn: arn("recent-p1"), stopDate: new Date("2026-12-04T12:00:00Z") },
      { executionArn: arn("recent-p2"), stopDate: new Date("2026-12-04T11:58:00Z") },
      { executionArn: arn("old-p1"), stopDate: new Date("2026-11-01T00:00:00Z") },
    ];
    const details: Record<string, { cause: string; input: string }> = {
      [arn("recent-p1")]: {
        cause: wonBackCause("2026-12-04T11:59:59.000Z", "salesforce:n1"),
        input: JSON.stringify({ practiceId: "p1" }),
      },
      [arn("recent-p2")]: {
        cause: wonBackCause("2026-12-04T11:57:00.000Z", "salesforce:n2"),
        input: JSON.stringify({ practiceId: "p2" }),
      },
      [arn("old-p1")]: {
        cause: wonBackCause("2026-11-01T00:00:00.000Z", "salesforce:n0"),
        input: JSON.stringify({ practiceId: "p1" }),
      },
    };
    const described: string[] = [];
    const client = {
      send: async (command: unknown) => {
        if (command instanceof ListExecutionsCommand) return { executions };
        if (command instanceof DescribeExecutionCommand) {
          described.push(command.input.executionArn!);
          return details[command.input.executionArn!];
        }
        throw new Error("unexpected command");
      },
    } as unknown as Parameters<typeof createLatestWinBackReader>[0];

    const latest = await createLatestWinBackReader(client, MACHINE)("p1", "2026-12-04T12:00:00.000Z");

    expect(latest).toBe("2026-12-04T11:59:59.000Z");
    expect(described).toEqual([arn("recent-p1"), arn("recent-p2")]);
  });
});
