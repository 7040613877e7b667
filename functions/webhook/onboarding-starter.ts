// Starts an onboarding execution under a caller-chosen name, reporting whether that name was already used
// (a redelivered webhook) instead of failing.
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";

export interface StartedExecution {
  executionArn: string;
  /** True when an execution with this name already existed: nothing new was started. */
  alreadyStarted: boolean;
}

/** `arn:…:stateMachine:<sm>` + name → `arn:…:execution:<sm>:<name>`, the ARN Step Functions gives it. */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const marker = ":stateMachine:";
  const at = stateMachineArn.indexOf(marker);
  if (at < 0) throw new Error(`Not a state machine ARN: ${stateMachineArn}`);
  return `${stateMachineArn.slice(0, at)}:execution:${stateMachineArn.slice(at + marker.length)}:${executionName}`;
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: unknown } | null)?.name as string | undefined;
}

/**
 * Looks the name up first, so a redelivery is told apart from a first delivery exactly (StartExecution's own
 * idempotency returns the same answer for both while the execution runs, and fails once it has ended).
 * Two deliveries racing may both start: Step Functions then runs one execution and both get its ARN.
 */
export function createOnboardingStarter(
  client: Pick<SFNClient, "send">,
  stateMachineArn: string,
): (name: string, input: object) => Promise<StartedExecution> {
  return async (name, input) => {
    const executionArn = executionArnFor(stateMachineArn, name);
    try {
      await client.send(new DescribeExecutionCommand({ executionArn }));
      return { executionArn, alreadyStarted: true };
    } catch (error) {
      if (errorName(error) !== "ExecutionDoesNotExist") throw error;
    }
    try {
      const started = await client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: started.executionArn ?? executionArn, alreadyStarted: false };
    } catch (error) {
      if (errorName(error) === "ExecutionAlreadyExists") return { executionArn, alreadyStarted: true };
      throw error;
    }
  };
}
