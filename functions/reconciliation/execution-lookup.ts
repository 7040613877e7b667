// Tells reconciliation whether the execution that owns an in-between practice is still running
// (states:DescribeExecution on the execution named by the practice record's `lastExecution`).
import { DescribeExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { ExecutionLookup, ExecutionState } from "./reconciliation-classify.js";

/** `arn:…:stateMachine:Name` + `exec-1` → `arn:…:execution:Name:exec-1`. */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(":");
  if (parts.length < 7 || parts[5] !== "stateMachine") {
    throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  }
  return [...parts.slice(0, 5), "execution", parts[6], executionName].join(":");
}

const KNOWN: ReadonlySet<string> = new Set([
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
]);

/**
 * DescribeExecution against the onboarding or offboarding state machine. An execution that does not exist is
 * NOT_FOUND (nothing is running for it); a kind with no state machine configured is UNKNOWN.
 */
export function stepFunctionsExecutionLookup(
  client: SFNClient,
  stateMachines: { readonly ONBOARDING?: string; readonly OFFBOARDING?: string },
): ExecutionLookup {
  return {
    async status(kind, executionName): Promise<ExecutionState> {
      const stateMachineArn = stateMachines[kind];
      if (!stateMachineArn) return "UNKNOWN";
      try {
        const { status } = await client.send(
          new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, executionName) }),
        );
        return status && KNOWN.has(status) ? (status as ExecutionState) : "UNKNOWN";
      } catch (error) {
        if ((error as { name?: string }).name === "ExecutionDoesNotExist") return "NOT_FOUND";
        throw error;
      }
    },
  };
}
