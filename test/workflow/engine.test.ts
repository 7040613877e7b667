import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lambdaFunctionArn } from "../../local/fake-aws.js";
import { synthesizeTemplates } from "../../local/synthesize.js";
import { LocalWorkflowEngine } from "../../local/workflow-engine.js";
import { buildEngineFixtureApp, FLOW_STATE_MACHINE_NAME } from "../fixtures/engine-fixture-app.js";

const TABLE_LOGICAL_ID = "TableCD117FA1";
const FLOW_ARN = `arn:aws:states:us-east-1:000000000000:stateMachine:${FLOW_STATE_MACHINE_NAME}`;

let engine: LocalWorkflowEngine;
const eventsSeen = new Map<string, HistoryEvent[]>();

beforeAll(() => {
  engine = new LocalWorkflowEngine({
    templates: synthesizeTemplates(buildEngineFixtureApp),
    resourceNames: { [TABLE_LOGICAL_ID]: "fixture-table" },
    retryIntervalOverrides: 0,
    onEvent: (event, execution) => {
      const seen = eventsSeen.get(execution.executionArn) ?? [];
      seen.push(event);
      eventsSeen.set(execution.executionArn, seen);
    },
  });
});

afterAll(async () => {
  await engine.close();
});

async function run(stateMachine: string, name: string, input: unknown) {
  const { executionArn } = await engine.startExecution({
    stateMachineArn: engine.stateMachineArn(stateMachine),
    name,
    input: JSON.stringify(input),
  });
  const description = await engine.waitForExecution(executionArn);
  return {
    executionArn,
    description,
    events: engine.getExecutionHistory(executionArn, { maxResults: 1000 }).events!,
  };
}

function typesOf(events: HistoryEvent[]): string[] {
  return events.map((event) => event.type!);
}

function stateEvent(events: HistoryEvent[], type: string, stateName: string): HistoryEvent {
  const found = events.find(
    (event) =>
      event.type === type &&
      (event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name) === stateName,
  );
  if (!found) throw new Error(`no ${type} for ${stateName}`);
  return found;
}

/** The Task events that follow a state's entry, up to its exit. */
function taskEventsOf(events: HistoryEvent[], stateName: string): HistoryEvent[] {
  const start = events.indexOf(stateEvent(events, "TaskStateEntered", stateName));
  const end = events.indexOf(stateEvent(events, "TaskStateExited", stateName));
  return events.slice(start + 1, end);
}

describe("LocalWorkflowEngine", () => {
  describe("happy path with retries", () => {
    const input = { name: "Ada", failTimes: 2, reject: false, practiceId: "p-1" };
    let result: Awaited<ReturnType<typeof run>>;
    beforeAll(async () => {
      result = await run(FLOW_STATE_MACHINE_NAME, "happy-1", input);
    });

    it("succeeds with the last state's output", () => {
      expect(result.description).toMatchObject({
        status: "SUCCEEDED",
        name: "happy-1",
        stateMachineArn: FLOW_ARN,
        input: JSON.stringify(input),
        output: JSON.stringify({ labeled: true, practiceId: "p-1" }),
      });
    });

    it("records the history state by state, a retry showing as another TaskScheduled", () => {
      expect(typesOf(result.events)).toEqual([
        "ExecutionStarted",
        ...["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"],
        "TaskStateEntered",
        ...["TaskScheduled", "TaskStarted", "TaskFailed"],
        ...["TaskScheduled", "TaskStarted", "TaskFailed"],
        ...["TaskScheduled", "TaskStarted", "TaskSucceeded"],
        "TaskStateExited",
        ...["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"],
        ...["SucceedStateEntered", "SucceedStateExited"],
        "ExecutionSucceeded",
      ]);
      expect(result.events.map((event) => event.id)).toEqual(result.events.map((_, i) => i + 1));
    });

    it("passes the invoke envelope's Payload, with the context object resolved, to the handler", () => {
      const entered = stateEvent(result.events, "TaskStateEntered", "Greet");
      const scheduled = taskEventsOf(result.events, "Greet")[0]!;
      expect(JSON.parse(scheduled.taskScheduledEventDetails!.parameters!)).toEqual({
        FunctionName: lambdaFunctionArn("GreetFunctionB4C97619"),
        Payload: {
          input,
          executionId: result.executionArn,
          executionName: "happy-1",
          executionStartTime: result.description.startDate!.toISOString(),
          executionInput: input,
          stateMachineId: FLOW_ARN,
          stateMachineName: FLOW_STATE_MACHINE_NAME,
          stateName: "Greet",
          stateEnteredTime: entered.timestamp!.toISOString(),
          retryCount: 0,
        },
      });
    });

    it("wraps the handler's result in the invoke envelope that ResultSelector reads, with a Lambda context", () => {
      const exited = stateEvent(result.events, "TaskStateExited", "Greet");
      const output = JSON.parse(exited.stateExitedEventDetails!.output!);
      expect(output.greet).toEqual({
        greeting: "hello Ada",
        status: 200,
        seen: {
          event: JSON.parse(taskEventsOf(result.events, "Greet")[0]!.taskScheduledEventDetails!.parameters!)
            .Payload,
          context: {
            functionName: "GreetFunctionB4C97619",
            invokedFunctionArn: lambdaFunctionArn("GreetFunctionB4C97619"),
            memoryLimitInMB: "256",
            awsRequestIdIsUuid: true,
            remainingWithinTimeout: true,
          },
          tableName: "fixture-table",
        },
      });
      const succeeded = taskEventsOf(result.events, "Greet")[2]!;
      const envelope = JSON.parse(succeeded.taskSucceededEventDetails!.output!);
      expect(Object.keys(envelope)).toEqual([
        "ExecutedVersion",
        "Payload",
        "SdkHttpMetadata",
        "SdkResponseMetadata",
        "StatusCode",
      ]);
      expect(envelope.StatusCode).toBe(200);
    });

    it("fails each attempt with the Lambda error shape and counts retries in $$.State.RetryCount", () => {
      const flaky = taskEventsOf(result.events, "Flaky");
      const payloads = flaky
        .filter((event) => event.type === "TaskScheduled")
        .map((event) => JSON.parse(event.taskScheduledEventDetails!.parameters!).Payload);
      expect(payloads).toEqual(
        [0, 1, 2].map((retryCount) => ({
          failTimes: 2,
          executionName: "happy-1",
          retryCount,
          note: `attempt ${retryCount}`,
        })),
      );
      const failures = flaky
        .filter((event) => event.type === "TaskFailed")
        .map((e) => e.taskFailedEventDetails!);
      expect(
        failures.map(({ resourceType, resource, error }) => ({ resourceType, resource, error })),
      ).toEqual([
        { resourceType: "lambda", resource: "invoke", error: "PortalUnavailable" },
        { resourceType: "lambda", resource: "invoke", error: "PortalUnavailable" },
      ]);
      const cause = JSON.parse(failures[0]!.cause!);
      expect(Object.keys(cause)).toEqual(["errorType", "errorMessage", "trace"]);
      expect(cause.errorType).toBe("PortalUnavailable");
      expect(cause.errorMessage).toBe("portal answered 503 (attempt 1)");
      expect(cause.trace[0]).toBe("PortalUnavailable: portal answered 503 (attempt 1)");
      const exited = JSON.parse(
        stateEvent(result.events, "TaskStateExited", "Flaky").stateExitedEventDetails!.output!,
      );
      expect(exited.flaky).toEqual({ attempts: 3, retryCount: 2 });
    });

    it("hands every history event to onEvent as it is appended", () => {
      expect(eventsSeen.get(result.executionArn)).toEqual(result.events);
    });
  });

  describe("catch and compensation", () => {
    let result: Awaited<ReturnType<typeof run>>;
    beforeAll(async () => {
      result = await run(FLOW_STATE_MACHINE_NAME, "saga-1", {
        name: "Bob",
        failTimes: 0,
        reject: true,
        practiceId: "p-2",
      });
    });

    it("routes the named error to the compensation task and ends in the Fail state", () => {
      expect(result.description).toMatchObject({
        status: "FAILED",
        error: "OnboardingFailed",
        cause: "label rejected",
      });
      expect(typesOf(result.events).slice(-10)).toEqual([
        "TaskStarted",
        "TaskFailed",
        "TaskStateExited",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "FailStateEntered",
        "ExecutionFailed",
      ]);
    });

    it("puts {Error, Cause} at the Catch ResultPath, Cause being Lambda's JSON error", () => {
      const entered = stateEvent(result.events, "TaskStateEntered", "Compensate");
      const { error } = JSON.parse(entered.stateEnteredEventDetails!.input!);
      expect(Object.keys(error)).toEqual(["Error", "Cause"]);
      expect(error.Error).toBe("PortalRejected");
      const cause = JSON.parse(error.Cause);
      expect(Object.keys(cause)).toEqual(["errorType", "errorMessage", "trace"]);
      expect(cause).toMatchObject({
        errorType: "PortalRejected",
        errorMessage: "portal refused DevRefId for practice p-2",
      });
    });

    it("runs the direct-ARN compensation task on the whole state input and stores its raw result", () => {
      const exited = stateEvent(result.events, "TaskStateExited", "Compensate");
      expect(JSON.parse(exited.stateExitedEventDetails!.output!).compensation).toEqual({
        disabled: true,
        practiceId: "p-2",
        caught: "PortalRejected",
        errorType: "PortalRejected",
        errorMessage: "portal refused DevRefId for practice p-2",
        traceHead: "PortalRejected: portal refused DevRefId for practice p-2",
      });
    });
  });

  describe("timeouts", () => {
    it("fails a Task whose function runs past its Timeout with Sandbox.Timedout, as Lambda reports it", async () => {
      const { description, events } = await run("HangD89A21A7", "function-timeout-1", {});
      expect(description.status).toBe("FAILED");
      expect(description.error).toBe("Sandbox.Timedout");
      expect(JSON.parse(description.cause!)).toEqual({
        errorType: "Sandbox.Timedout",
        errorMessage: expect.stringMatching(
          /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/,
        ),
      });
      expect(typesOf(events)).toEqual([
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "ExecutionFailed",
      ]);
    });

    it("times the execution out after the state machine's TimeoutSeconds", async () => {
      const { description, events } = await run("Deadline86871E19", "execution-timeout-1", {});
      expect(description.status).toBe("TIMED_OUT");
      expect(description).not.toHaveProperty("error");
      expect(description).not.toHaveProperty("cause");
      expect(typesOf(events)).toEqual([
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "ExecutionTimedOut",
      ]);
      expect(events.at(-1)!.executionTimedOutEventDetails).toEqual({ error: "States.Timeout" });
    });
  });

  it("runs an inline Map, its iterations seeing the execution's input and start time in $$", async () => {
    const input = { items: ["a", "b", "c"] };
    const { description, events } = await run("Fanout5E42E65D", "fanout-1", input);
    expect(description.status).toBe("SUCCEEDED");
    expect(JSON.parse(description.output!)).toEqual(
      ["a", "b", "c"].map((value, index) => ({
        value,
        index,
        executionInput: input,
        executionStartTime: description.startDate!.toISOString(),
        stateName: "EchoItem",
      })),
    );
    expect(events.filter((event) => event.type === "MapIterationSucceeded")).toHaveLength(3);
  });

  it("runs many executions concurrently, each with its own retries", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `concurrent-${i}`);
    const results = await Promise.all(
      names.map((name) =>
        run(FLOW_STATE_MACHINE_NAME, name, { name, failTimes: 1, reject: false, practiceId: name }),
      ),
    );
    expect(results.map((r) => r.description.status)).toEqual(names.map(() => "SUCCEEDED"));
    const attempts = results.map(
      (r) =>
        JSON.parse(stateEvent(r.events, "TaskStateExited", "Flaky").stateExitedEventDetails!.output!).flaky,
    );
    expect(attempts).toEqual(names.map(() => ({ attempts: 2, retryCount: 1 })));
  });
});
