import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  StateMachineDoesNotExist,
} from "../../local/aws-service-errors.js";
import type { SynthesizedStack } from "../../local/cloudformation-template.js";
import { secretArn } from "../../local/fake-aws.js";
import { synthesizeTemplates } from "../../local/synthesize.js";
import { LocalWorkflowEngine } from "../../local/workflow-engine.js";
import { buildEngineFixtureApp, FLOW_STATE_MACHINE_NAME } from "../fixtures/engine-fixture-app.js";

const STATE_MACHINE_ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:stateMachine:";
const EXECUTION_ARN_PREFIX = "arn:aws:states:us-east-1:000000000000:execution:";
const HAPPY_INPUT = JSON.stringify({ name: "Ada", failTimes: 0, reject: false, practiceId: "p-1" });

let templates: SynthesizedStack[];
let engine: LocalWorkflowEngine;
let flowArn: string;
let deadlineArn: string;

beforeAll(() => {
  templates = synthesizeTemplates(buildEngineFixtureApp);
  engine = new LocalWorkflowEngine({ templates, resourceNames: { TableCD117FA1: "fixture-table" } });
  flowArn = engine.stateMachineArn(FLOW_STATE_MACHINE_NAME);
  deadlineArn = engine.stateMachineArn("Deadline86871E19");
});

afterAll(async () => {
  await engine.close();
});

describe("LocalWorkflowEngine executions API", () => {
  it("lists every state machine with its name, ARN, logical id and timeout", () => {
    expect(engine.stateMachines().map(({ creationDate, ...rest }) => rest)).toEqual([
      {
        name: FLOW_STATE_MACHINE_NAME,
        stateMachineArn: `${STATE_MACHINE_ARN_PREFIX}${FLOW_STATE_MACHINE_NAME}`,
        type: "STANDARD",
        logicalId: "FlowA74D6E88",
        stackName: "EngineFixture",
      },
      {
        name: "HangD89A21A7",
        stateMachineArn: `${STATE_MACHINE_ARN_PREFIX}HangD89A21A7`,
        type: "STANDARD",
        logicalId: "HangD89A21A7",
        stackName: "EngineFixture",
      },
      {
        name: "Deadline86871E19",
        stateMachineArn: `${STATE_MACHINE_ARN_PREFIX}Deadline86871E19`,
        type: "STANDARD",
        logicalId: "Deadline86871E19",
        stackName: "EngineFixture",
        timeoutSeconds: 1,
      },
      {
        name: "Fanout5E42E65D",
        stateMachineArn: `${STATE_MACHINE_ARN_PREFIX}Fanout5E42E65D`,
        type: "STANDARD",
        logicalId: "Fanout5E42E65D",
        stackName: "EngineFixture",
      },
    ]);
  });

  it("finds a state machine's ARN by logical id as well as by name", () => {
    expect(engine.stateMachineArn("FlowA74D6E88")).toBe(flowArn);
    expect(() => engine.stateMachineArn("Nope")).toThrow(
      new StateMachineDoesNotExist("State Machine Does Not Exist: 'Nope'"),
    );
  });

  it("returns the running execution when started again with the same name and input", async () => {
    const first = await engine.startExecution({
      stateMachineArn: deadlineArn,
      name: "dedupe-running",
      input: "{}",
    });
    const second = await engine.startExecution({
      stateMachineArn: deadlineArn,
      name: "dedupe-running",
      input: "{}",
    });
    expect(second).toEqual(first);
    expect(first.executionArn).toBe(`${EXECUTION_ARN_PREFIX}Deadline86871E19:dedupe-running`);
    expect(engine.listExecutions({ stateMachineArn: deadlineArn }).executions!.map((e) => e.name)).toEqual([
      "dedupe-running",
    ]);
    await engine.stopExecution(first.executionArn);
  });

  it("refuses the same name with a different input while the execution runs", async () => {
    const { executionArn } = await engine.startExecution({
      stateMachineArn: deadlineArn,
      name: "dedupe-input",
    });
    await expect(
      engine.startExecution({ stateMachineArn: deadlineArn, name: "dedupe-input", input: '{"other":true}' }),
    ).rejects.toThrow(new ExecutionAlreadyExists(`Execution Already Exists: '${executionArn}'`));
    await engine.stopExecution(executionArn);
  });

  it("refuses the same name and input once the execution has ended, as Standard workflows do", async () => {
    const { executionArn } = await engine.startExecution({
      stateMachineArn: flowArn,
      name: "dedupe-ended",
      input: HAPPY_INPUT,
    });
    expect((await engine.waitForExecution(executionArn)).status).toBe("SUCCEEDED");
    await expect(
      engine.startExecution({ stateMachineArn: flowArn, name: "dedupe-ended", input: HAPPY_INPUT }),
    ).rejects.toThrow(new ExecutionAlreadyExists(`Execution Already Exists: '${executionArn}'`));
  });

  it("keeps execution names per state machine", async () => {
    const a = await engine.startExecution({
      stateMachineArn: flowArn,
      name: "shared-name",
      input: HAPPY_INPUT,
    });
    const b = await engine.startExecution({ stateMachineArn: deadlineArn, name: "shared-name" });
    expect(a.executionArn).not.toBe(b.executionArn);
    await engine.stopExecution(b.executionArn);
    await engine.waitForExecution(a.executionArn);
  });

  it.each([
    ["too long", "x".repeat(81)],
    ["with a space", "two words"],
    ["with a colon", "practice:1"],
    ["empty", ""],
  ])("rejects an execution name %s", async (_, name) => {
    await expect(engine.startExecution({ stateMachineArn: flowArn, name })).rejects.toThrow(
      new InvalidName(`Invalid Name: '${name}' (1-80 characters of A-Z, a-z, 0-9, - and _)`),
    );
  });

  it("accepts an 80-character name", async () => {
    const name = "n".repeat(80);
    const { executionArn } = await engine.startExecution({
      stateMachineArn: flowArn,
      name,
      input: HAPPY_INPUT,
    });
    expect((await engine.waitForExecution(executionArn)).name).toBe(name);
  });

  it("rejects input that is not JSON", async () => {
    await expect(engine.startExecution({ stateMachineArn: flowArn, input: "{" })).rejects.toBeInstanceOf(
      InvalidExecutionInput,
    );
  });

  it("rejects an unknown state machine and a malformed ARN", async () => {
    const unknown = `${STATE_MACHINE_ARN_PREFIX}Unknown`;
    await expect(engine.startExecution({ stateMachineArn: unknown })).rejects.toThrow(
      new StateMachineDoesNotExist(`State Machine Does Not Exist: '${unknown}'`),
    );
    await expect(engine.startExecution({ stateMachineArn: "Flow" })).rejects.toThrow(
      new InvalidArn("Invalid Arn: 'Flow'"),
    );
  });

  it("says which execution does not exist", () => {
    const arn = `${EXECUTION_ARN_PREFIX}${FLOW_STATE_MACHINE_NAME}:never-started`;
    expect(() => engine.describeExecution(arn)).toThrow(
      new ExecutionDoesNotExist(`Execution Does Not Exist: '${arn}'`),
    );
  });

  it("stops a running execution as ABORTED with the given error and cause", async () => {
    const { executionArn } = await engine.startExecution({ stateMachineArn: deadlineArn, name: "stopped-1" });
    await engine.stopExecution(executionArn, { error: "Operator", cause: "stopped by test" });
    const description = engine.describeExecution(executionArn);
    expect(description).toMatchObject({ status: "ABORTED", error: "Operator", cause: "stopped by test" });
    const events = engine.getExecutionHistory(executionArn).events!;
    expect(events.at(-1)).toMatchObject({
      type: "ExecutionAborted",
      executionAbortedEventDetails: { error: "Operator", cause: "stopped by test" },
    });
  });

  it("lists executions newest first and filters them by status", async () => {
    const names = ["list-a", "list-b", "list-c"];
    for (const name of names) {
      const { executionArn } = await engine.startExecution({
        stateMachineArn: flowArn,
        name,
        input: HAPPY_INPUT,
      });
      await engine.waitForExecution(executionArn);
    }
    const listed = engine.listExecutions({ stateMachineArn: flowArn, statusFilter: "SUCCEEDED" }).executions!;
    expect(listed.map((e) => e.name).filter((name) => names.includes(name!))).toEqual([
      "list-c",
      "list-b",
      "list-a",
    ]);
    expect(engine.listExecutions({ stateMachineArn: flowArn, statusFilter: "FAILED" }).executions).toEqual(
      [],
    );
  });

  it("pages the history and reverses it on request", async () => {
    const { executionArn } = await engine.startExecution({
      stateMachineArn: flowArn,
      name: "paged",
      input: HAPPY_INPUT,
    });
    await engine.waitForExecution(executionArn);
    const all = engine.getExecutionHistory(executionArn).events!;
    const first = engine.getExecutionHistory(executionArn, { maxResults: 5 });
    const second = engine.getExecutionHistory(executionArn, { maxResults: 5, nextToken: first.nextToken! });
    expect([...first.events!, ...second.events!]).toEqual(all.slice(0, 10));
    expect(engine.getExecutionHistory(executionArn, { reverseOrder: true }).events).toEqual(
      [...all].reverse(),
    );
  });

  it("fails the Task with Runtime.HandlerNotFound when the module does not export the handler", async () => {
    const broken = new LocalWorkflowEngine({ templates, loadHandlerModule: async () => ({}) });
    const { executionArn } = await broken.startExecution({
      stateMachineArn: broken.stateMachineArn("HangD89A21A7"),
      name: "no-handler",
    });
    const description = await broken.waitForExecution(executionArn);
    expect(description.error).toBe("Runtime.HandlerNotFound");
    expect(JSON.parse(description.cause!)).toEqual({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: "test/fixtures/handlers/hang.ts.handler is undefined or not exported",
      trace: [],
    });
    await broken.close();
  });

  it("fails the Task with Runtime.ImportModuleError when the module cannot load", async () => {
    const broken = new LocalWorkflowEngine({
      templates,
      loadHandlerModule: async () => {
        throw new SyntaxError("Unexpected token");
      },
    });
    const { executionArn } = await broken.startExecution({
      stateMachineArn: broken.stateMachineArn("HangD89A21A7"),
      name: "bad-module",
    });
    const description = await broken.waitForExecution(executionArn);
    expect(description.error).toBe("Runtime.ImportModuleError");
    expect(JSON.parse(description.cause!).errorMessage).toBe(
      "SyntaxError: Unexpected token (loading test/fixtures/handlers/hang.ts for HangOneSecondFunction5AA3A4C5)",
    );
    await broken.close();
  });

  it("sets process.env from the functions' resolved environment, and close() restores it", async () => {
    expect(process.env.FIXTURE_TABLE_NAME).toBe("fixture-table");
    expect(process.env.FIXTURE_SECRET_ARN).toBe(secretArn("engine-fixture/portal-credentials"));
    const before = process.env.FIXTURE_TABLE_NAME;
    const other = new LocalWorkflowEngine({ templates, environment: { FIXTURE_TABLE_NAME: "override" } });
    expect(process.env.FIXTURE_TABLE_NAME).toBe("override");
    await other.close();
    expect(process.env.FIXTURE_TABLE_NAME).toBe(before);
  });
});
