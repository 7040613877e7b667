// A local HTTP endpoint speaking the AWS JSON protocol for the Step Functions and Secrets Manager calls our code
// makes, so handlers and the ops CLI use the real SDK, pointed here by AWS_ENDPOINT_URL_SFN,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_EVENTBRIDGE and AWS_ENDPOINT_URL_KMS (or a client's `endpoint`).
import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AwsServiceError, ValidationException } from "./aws-service-errors.js";
import type { LocalSecretStore } from "./local-secret-store.js";
import type { LocalWorkflowEngine } from "./workflow-engine.js";

export interface LocalAwsEndpointOptions {
  readonly engine: LocalWorkflowEngine;
  readonly secrets: LocalSecretStore;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Services defined outside this file (e.g. local/kms), registered beside Step Functions and Secrets Manager. */
  readonly services?: readonly LocalAwsJsonService[];
  /**
   * Decides each request before it runs (the local stack's IAM/KMS enforcement, local/authorization/): an answer
   * is returned to the caller as the service's error instead of running the operation.
   */
  readonly authorize?: (
    target: string,
    body: Body,
    headers: IncomingHttpHeaders,
  ) => RefusedRequest | undefined;
}

/** A request the authorizer refused, answered with this status, `__type` and message. */
export interface RefusedRequest {
  readonly statusCode: number;
  readonly errorType: string;
  readonly message: string;
}

/** A service served by this endpoint: its operations by action, answered under `X-Amz-Target: <targetPrefix>.<action>`. */
export interface LocalAwsJsonService {
  /** e.g. `TrentService` (KMS). */
  readonly targetPrefix: string;
  /** The service's AWS JSON protocol version, which sets the response Content-Type. */
  readonly jsonVersion: "1.0" | "1.1";
  /** Each gets the parsed body and the HTTP request (its headers carry the caller's SigV4 credential). */
  readonly operations: Readonly<Record<string, (body: Body, request: IncomingMessage) => unknown>>;
}

export interface LocalAwsEndpoint {
  /** e.g. `http://127.0.0.1:43121`: the value for AWS_ENDPOINT_URL_SFN and AWS_ENDPOINT_URL_SECRETS_MANAGER. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export type Body = Record<string, unknown>;
type Operation = (body: Body, request: IncomingMessage) => unknown;

/** Target prefixes answered as `application/x-amz-json-1.1`: a fact of each AWS service, not of one endpoint. */
const JSON_1_1_PREFIXES = new Set(["secretsmanager"]);

/** Starts the endpoint; resolves once it is listening. */
export async function startLocalAwsEndpoint(options: LocalAwsEndpointOptions): Promise<LocalAwsEndpoint> {
  const operations = buildOperations(options.engine, options.secrets);
  for (const service of options.services ?? []) {
    if (service.jsonVersion === "1.1") JSON_1_1_PREFIXES.add(service.targetPrefix);
    for (const [action, run] of Object.entries(service.operations))
      operations.set(`${service.targetPrefix}.${action}`, run);
  }
  const server = createServer((request, response) => {
    handle(request, response, operations, options.authorize).catch((error: unknown) => {
      respondError(response, 500, "InternalFailure", (error as Error).message ?? String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Operations by `X-Amz-Target` (service prefix + action), as the SDK clients send them. */
function buildOperations(engine: LocalWorkflowEngine, secrets: LocalSecretStore): Map<string, Operation> {
  const sfn: Record<string, Operation> = {
    StartExecution: async (body) => {
      const { executionArn, startDate } = await engine.startExecution({
        stateMachineArn: requiredString(body, "stateMachineArn"),
        ...(typeof body.name === "string" ? { name: body.name } : {}),
        ...(typeof body.input === "string" ? { input: body.input } : {}),
      });
      return { executionArn, startDate };
    },
    DescribeExecution: (body) => engine.describeExecution(requiredString(body, "executionArn")),
    ListExecutions: (body) =>
      engine.listExecutions({
        stateMachineArn: requiredString(body, "stateMachineArn"),
        ...(typeof body.statusFilter === "string" ? { statusFilter: body.statusFilter as never } : {}),
        ...(typeof body.maxResults === "number" ? { maxResults: body.maxResults } : {}),
        ...(typeof body.nextToken === "string" ? { nextToken: body.nextToken } : {}),
      }),
    GetExecutionHistory: (body) =>
      engine.getExecutionHistory(requiredString(body, "executionArn"), {
        reverseOrder: body.reverseOrder === true,
        ...(typeof body.maxResults === "number" ? { maxResults: body.maxResults } : {}),
        ...(typeof body.nextToken === "string" ? { nextToken: body.nextToken } : {}),
      }),
    ListStateMachines: () => ({
      stateMachines: engine.stateMachines().map(({ stateMachineArn, name, type, creationDate }) => ({
        stateMachineArn,
        name,
        type,
        creationDate,
      })),
    }),
    DescribeStateMachine: (body) => engine.describeStateMachine(requiredString(body, "stateMachineArn")),
    StopExecution: async (body) => ({
      stopDate: await engine.stopExecution(requiredString(body, "executionArn"), {
        ...(typeof body.error === "string" ? { error: body.error } : {}),
        ...(typeof body.cause === "string" ? { cause: body.cause } : {}),
      }),
    }),
  };
  const secretsManager: Record<string, Operation> = {
    GetSecretValue: (body) => {
      const value = secrets.getSecretValue(
        requiredString(body, "SecretId"),
        typeof body.VersionStage === "string" ? body.VersionStage : undefined,
      );
      return {
        ARN: value.arn,
        Name: value.name,
        VersionId: value.versionId,
        SecretString: value.secretString,
        VersionStages: value.versionStages,
        CreatedDate: value.createdDate,
      };
    },
    PutSecretValue: (body) => {
      const stored = secrets.putSecretValue(
        requiredString(body, "SecretId"),
        requiredString(body, "SecretString"),
      );
      return {
        ARN: stored.arn,
        Name: stored.name,
        VersionId: stored.versionId,
        VersionStages: stored.versionStages,
      };
    },
    DescribeSecret: (body) => {
      const secret = secrets.describeSecret(requiredString(body, "SecretId"));
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description ? { Description: secret.description } : {}),
        CreatedDate: secret.createdDate,
        ...(secret.lastChangedDate ? { LastChangedDate: secret.lastChangedDate } : {}),
        VersionIdsToStages: secret.versionIdsToStages,
      };
    },
  };
  return new Map<string, Operation>([
    ...Object.entries(sfn).map(([action, run]): [string, Operation] => [`AWSStepFunctions.${action}`, run]),
    ...Object.entries(secretsManager).map(([action, run]): [string, Operation] => [
      `secretsmanager.${action}`,
      run,
    ]),
  ]);
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  operations: Map<string, Operation>,
  authorize: LocalAwsEndpointOptions["authorize"],
): Promise<void> {
  const target = request.headers["x-amz-target"];
  const operation = typeof target === "string" ? operations.get(target) : undefined;
  const text = await readBody(request);
  if (!operation) {
    const known = [...operations.keys()].join(", ");
    return respondError(
      response,
      400,
      "UnknownOperationException",
      `The local AWS endpoint does not implement ${JSON.stringify(target ?? "(no X-Amz-Target header)")}; it implements: ${known}`,
    );
  }
  let body: Body;
  try {
    body = text.trim() === "" ? {} : (JSON.parse(text) as Body);
  } catch {
    return respondError(response, 400, "SerializationException", "The request body is not valid JSON");
  }
  const refused = authorize?.(target as string, body, request.headers);
  if (refused) return respondError(response, refused.statusCode, refused.errorType, refused.message);
  try {
    const output = await operation(body, request);
    respond(response, 200, target as string, toWire(output));
  } catch (error) {
    if (error instanceof AwsServiceError)
      return respondError(response, error.statusCode, error.name, error.message);
    throw error;
  }
}

function requiredString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value === "")
    throw new ValidationException(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint`,
    );
  return value;
}

/** The AWS JSON protocol sends timestamps as epoch seconds. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toWire(item)]));
  return value;
}

function contentType(target: string | undefined): string {
  const prefix = target?.slice(0, target.indexOf("."));
  return prefix && JSON_1_1_PREFIXES.has(prefix)
    ? "application/x-amz-json-1.1"
    : "application/x-amz-json-1.0";
}

function respond(response: ServerResponse, status: number, target: string | undefined, body: unknown): void {
  const payload = JSON.stringify(body ?? {});
  response.writeHead(status, {
    "Content-Type": contentType(target),
    "Content-Length": Buffer.byteLength(payload),
    "x-amzn-RequestId": randomUUID(),
  });
  response.end(payload);
}

function respondError(response: ServerResponse, status: number, type: string, message: string): void {
  if (response.headersSent) return;
  const target = response.req?.headers["x-amz-target"];
  respond(response, status, typeof target === "string" ? target : undefined, { __type: type, message });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
