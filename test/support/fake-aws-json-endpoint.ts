// Test-only HTTP endpoint speaking the AWS JSON protocol for the calls the webhook makes (Step Functions
// StartExecution/DescribeExecution, Secrets Manager GetSecretValue) and the outbox delivery (EventBridge
// PutEvents), so tests drive the real SDK clients.
// Step Functions behaves as documented for Standard workflows: a name is taken once; StartExecution with the
// same name and input while the execution runs returns the original answer, otherwise ExecutionAlreadyExists.
// Replace with the local stack's endpoint (local/) once it lands.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED";
  startDate: number;
}

export interface RecordedCall {
  target: string;
  body: Record<string, unknown>;
}

interface InjectedFault {
  statusCode: number;
  type: string;
  message: string;
}

class AwsError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeAwsJsonEndpoint {
  readonly calls: RecordedCall[] = [];
  readonly executions = new Map<string, FakeExecution>();
  readonly secrets = new Map<string, string>();
  /** Entries PutEvents accepted, in order. */
  readonly putEvents: Record<string, unknown>[] = [];
  /** When set, PutEvents answers 200 but refuses every entry with this error (as EventBridge reports it). */
  putEventsEntryError?: { ErrorCode: string; ErrorMessage: string };
  /** Names DescribeExecution pretends not to know yet (a lookup racing another delivery's start). */
  readonly hiddenFromDescribe = new Set<string>();
  private readonly faults = new Map<string, InjectedFault[]>();
  private server?: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.server?.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /** Makes the next call(s) to `target` (e.g. `AWSStepFunctions.StartExecution`) fail with this error. */
  failNext(target: string, fault: InjectedFault, times = 1): void {
    this.faults.set(target, [...(this.faults.get(target) ?? []), ...Array(times).fill(fault)]);
  }

  callsTo(target: string): RecordedCall[] {
    return this.calls.filter((call) => call.target === target);
  }

  reset(): void {
    this.calls.length = 0;
    this.executions.clear();
    this.secrets.clear();
    this.hiddenFromDescribe.clear();
    this.faults.clear();
    this.putEvents.length = 0;
    this.putEventsEntryError = undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers["x-amz-target"] ?? "");
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    this.calls.push({ target, body });
    const contentType = /^(secretsmanager|AWSEvents)\./.test(target)
      ? "application/x-amz-json-1.1"
      : "application/x-amz-json-1.0";
    try {
      const fault = this.faults.get(target)?.shift();
      if (fault) throw new AwsError(fault.statusCode, fault.type, fault.message);
      const result = this.dispatch(target, body);
      response.writeHead(200, { "content-type": contentType });
      response.end(JSON.stringify(result));
    } catch (error) {
      const awsError =
        error instanceof AwsError ? error : new AwsError(500, "InternalFailure", (error as Error).message);
      response.writeHead(awsError.statusCode, { "content-type": contentType });
      response.end(JSON.stringify({ __type: awsError.type, message: awsError.message }));
    }
  }

  private dispatch(target: string, body: Record<string, unknown>): object {
    switch (target) {
      case "AWSStepFunctions.StartExecution":
        return this.startExecution(body);
      case "AWSStepFunctions.DescribeExecution":
        return this.describeExecution(body);
      case "secretsmanager.GetSecretValue":
        return this.getSecretValue(body);
      case "AWSEvents.PutEvents":
        return this.putEventsCall(body);
      default:
        throw new AwsError(400, "UnknownOperationException", `Unsupported target ${target}`);
    }
  }

  private startExecution(body: Record<string, unknown>): object {
    const stateMachineArn = String(body.stateMachineArn);
    const name = String(body.name);
    const input = String(body.input ?? "{}");
    const executionArn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === "RUNNING" && existing.input === input) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new AwsError(400, "ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
    }
    const execution: FakeExecution = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: "RUNNING",
      startDate: Date.now() / 1000,
    };
    this.executions.set(executionArn, execution);
    return { executionArn, startDate: execution.startDate };
  }

  private describeExecution(body: Record<string, unknown>): object {
    const executionArn = String(body.executionArn);
    const execution = this.executions.get(executionArn);
    if (!execution || this.hiddenFromDescribe.has(execution.name)) {
      throw new AwsError(400, "ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
    }
    return { ...execution };
  }

  private putEventsCall(body: Record<string, unknown>): object {
    const entries = body.Entries as Record<string, unknown>[];
    if (this.putEventsEntryError) {
      return {
        FailedEntryCount: entries.length,
        Entries: entries.map(() => ({ ...this.putEventsEntryError })),
      };
    }
    const first = this.putEvents.length;
    this.putEvents.push(...entries);
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `event-${first + i + 1}` })) };
  }

  private getSecretValue(body: Record<string, unknown>): object {
    const secretId = String(body.SecretId);
    const value = this.secrets.get(secretId);
    if (value === undefined) {
      throw new AwsError(
        400,
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
      );
    }
    return {
      ARN: secretId,
      Name: secretId,
      SecretString: value,
      VersionId: "v1",
      VersionStages: ["AWSCURRENT"],
    };
  }
}
