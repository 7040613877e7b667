// Starts one execution of a workflow and, with --wait, follows it to its end (see follow-execution.ts). Ctrl-C
// while following stops the following only: the execution runs on in Step Functions, and the user is told how to
// check on it.
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { CommandContext } from "./context.js";
import { StoppedFollowing } from "./errors.js";
import { type FollowedExecution, followExecution, type ProgressEvent } from "./follow-execution.js";

export interface WorkflowStart {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: object;
  readonly wait: boolean;
  /** ops arguments that show how the execution is doing (e.g. `status <practiceId>`), for a user who stops --wait. */
  readonly checkWith: readonly string[];
}

export interface WorkflowRun {
  readonly executionName: string;
  readonly executionArn: string;
  readonly startDate?: string;
  /** Present with --wait. */
  readonly result?: FollowedExecution;
}

/** `   +1.25 s  → ClaimPractice`. */
export function formatProgress(event: ProgressEvent): string {
  const elapsed = `+${(event.elapsedMs / 1000).toFixed(2)} s`;
  return `  ${elapsed.padStart(9)}  ${event.text}`;
}

export async function runWorkflow(context: CommandContext, start: WorkflowStart): Promise<WorkflowRun> {
  const started = await context.target.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: start.stateMachineArn,
      name: start.name,
      input: JSON.stringify(start.input),
    }),
  );
  const executionArn = started.executionArn!;
  const run: WorkflowRun = {
    executionName: start.name,
    executionArn,
    ...(started.startDate ? { startDate: new Date(started.startDate).toISOString() } : {}),
  };
  if (!start.wait) return run;
  context.progress(`Following ${start.name}:`);
  const interrupt = new AbortController();
  const release = context.onInterrupt(() => interrupt.abort());
  try {
    const result = await followExecution(context.target.sfn, executionArn, {
      pollIntervalMs: context.target.pollIntervalMs,
      signal: interrupt.signal,
      // The execution's own end is said once, by the command's closing line.
      onProgress: (event) => {
        if (event.kind !== "execution-succeeded" && event.kind !== "execution-failed")
          context.progress(formatProgress(event));
      },
    });
    return { ...run, result };
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    throw new StoppedFollowing(
      [
        `Stopped following ${start.name}: the execution keeps running. Check on it with:`,
        ...start.checkWith.map((args) => `  ${context.opsCommand(args)}`),
      ].join("\n"),
    );
  } finally {
    release();
  }
}

/** True for the one status that means the work was done. */
export function succeeded(run: WorkflowRun): boolean {
  return run.result === undefined || run.result.status === "SUCCEEDED";
}
