// An authorizing proxy in front of DynamoDB Local (which authorizes nothing): each request is evaluated against the
// template first; an allowed one is forwarded unchanged, a refused one answered as DynamoDB answers it.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalAuthorization } from "./local-authorization.js";
import { dynamoDbRequests } from "./service-requests.js";

export interface DynamoDbProxy {
  /** The endpoint to give the SDK (AWS_ENDPOINT_URL_DYNAMODB) instead of DynamoDB Local's. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startDynamoDbProxy(options: {
  readonly target: string;
  readonly authorization: LocalAuthorization;
}): Promise<DynamoDbProxy> {
  const target = new URL(options.target);
  const server = createServer((request, response) => {
    forward(request, response, target, options.authorization).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
      response.end(
        JSON.stringify({
          __type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
          message: error.message,
        }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function forward(
  request: IncomingMessage,
  response: ServerResponse,
  target: URL,
  authorization: LocalAuthorization,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const operation = String(request.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
  let parsed: Record<string, unknown> = {};
  try {
    parsed = body.length ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
  } catch {
    // Malformed JSON: DynamoDB Local answers it.
  }
  const denial = operation
    ? authorization.check(
        "dynamodb",
        request.headers,
        dynamoDbRequests(operation, parsed, (table) => authorization.partitionKeyOf(table)),
      )
    : undefined;
  if (denial) {
    const payload = JSON.stringify({ __type: denial.errorType, message: denial.message });
    response.writeHead(denial.statusCode, {
      "content-type": "application/x-amz-json-1.0",
      "content-length": Buffer.byteLength(payload),
    });
    response.end(payload);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: target.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(response);
        answer.on("end", resolve);
        answer.on("error", reject);
      },
    );
    upstream.on("error", reject);
    upstream.end(body);
  });
}
