// Serves the template's API Gateway HTTP API routes locally: each request becomes an HTTP API v2 event
// for the route's handler module, and the handler's result becomes the HTTP response.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { runAsFunction } from "./authorization/caller-identity.js";
import type { SynthesizedStack } from "./cloudformation-template.js";
import type { ExtractedFunction } from "./state-machine-extractor.js";

export interface HttpApiRoute {
  readonly method: string;
  readonly path: string;
  readonly function: ExtractedFunction;
}

/** Largest body read before answering 413 ourselves (API Gateway's own payload limit is 10 MB). */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

function findRef(value: unknown): string | undefined {
  if (!value || typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === "string") return record.Ref;
  const getAtt = record["Fn::GetAtt"];
  if (Array.isArray(getAtt) && typeof getAtt[0] === "string") return getAtt[0];
  for (const child of Object.values(record)) {
    const found = Array.isArray(child) ? child.map(findRef).find(Boolean) : findRef(child);
    if (found) return found;
  }
  return undefined;
}

/** Reads `METHOD /path` routes and the Lambda behind each from the templates. */
export function httpApiRoutes(
  stacks: readonly SynthesizedStack[],
  functions: ReadonlyMap<string, ExtractedFunction>,
): HttpApiRoute[] {
  const routes: HttpApiRoute[] = [];
  for (const { template } of stacks) {
    const resources = template.Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== "AWS::ApiGatewayV2::Route") continue;
      const routeKey = String(resource.Properties?.RouteKey ?? "");
      const [method, path] = routeKey.split(" ");
      const integrationId = findRef(resource.Properties?.Target);
      const integration = integrationId ? resources[integrationId] : undefined;
      const functionId = findRef(integration?.Properties?.IntegrationUri);
      const fn = functionId ? functions.get(functionId) : undefined;
      if (!method || !path || !fn)
        throw new Error(
          `HTTP API route ${logicalId} (${routeKey}) does not lead to a local handler function`,
        );
      routes.push({ method, path, function: fn });
    }
  }
  return routes;
}

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string>;

function lambdaContext(fn: ExtractedFunction, requestId: string): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: fn.functionArn,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A malformed escape (`%E0`) stays as sent rather than failing the request. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The path parameters of `pathname` under a route path such as `/activate/{token}` (each `{name}` matches one
 * non-empty segment, as in API Gateway route keys), or undefined when it does not match.
 */
export function matchRoutePath(routePath: string, pathname: string): Record<string, string> | undefined {
  const want = routePath.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const name = /^\{([^}+]+)\}$/.exec(segment)?.[1];
    if (name && got[i]) parameters[name] = decodeSegment(got[i]!);
    else if (segment !== got[i]) return undefined;
  }
  return parameters;
}

/** The route for a request: an exact path first, then one with `{parameters}` (API Gateway's precedence). */
export function findHttpApiRoute<R extends { method: string; path: string }>(
  routes: readonly R[],
  method: string | undefined,
  pathname: string,
): { route: R; pathParameters?: Record<string, string> } | undefined {
  const candidates = routes.filter((r) => r.method === method);
  const exact = candidates.find((r) => r.path === pathname);
  if (exact) return { route: exact };
  for (const route of candidates) {
    const pathParameters = matchRoutePath(route.path, pathname);
    if (pathParameters) return { route, pathParameters };
  }
  return undefined;
}

/** A Node request as the HTTP API v2 event API Gateway would hand the route's Lambda. */
export function toHttpApiEvent(
  request: IncomingMessage,
  route: { method: string; path: string },
  body: Buffer,
  url: URL,
  pathParameters?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  // As API Gateway adds it; the HubSpot route rebuilds the signed URL from it.
  headers["x-forwarded-proto"] ??= "http";
  const now = new Date();
  const contentType = headers["content-type"] ?? "";
  // API Gateway base64-encodes bodies it does not consider text.
  const isText =
    body.length === 0 || /^(text\/|application\/(json|x-www-form-urlencoded|xml))/i.test(contentType);
  return {
    version: "2.0",
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? body.toString(isText ? "utf8" : "base64") : undefined,
    isBase64Encoded: !isText && body.length > 0,
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/** Writes a handler's result as API Gateway would (a bare string is a 200 JSON body). */
export function writeHttpApiResult(
  response: ServerResponse,
  result: APIGatewayProxyStructuredResultV2 | string,
): void {
  if (typeof result === "string") {
    send(response, 200, result);
    return;
  }
  const headers = { "content-type": "application/json", ...(result.headers ?? {}) };
  response.writeHead(result.statusCode ?? 200, headers as Record<string, string>);
  response.end(result.isBase64Encoded ? Buffer.from(result.body ?? "", "base64") : (result.body ?? ""));
}

export interface LocalHttpApi {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the local HTTP API; `loadHandler` imports a function's module (as the workflow engine does). */
export async function startLocalHttpApi(options: {
  routes: readonly HttpApiRoute[];
  loadModule: (entry: string) => Promise<Record<string, unknown>>;
  port: number;
  host?: string;
}): Promise<LocalHttpApi> {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const match = findHttpApiRoute(options.routes, request.method, url.pathname);
    if (!match) {
      send(response, 404, { message: "Not Found" });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_REQUEST_BYTES) {
        send(response, 413, { message: "Request Entity Too Large" });
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const { route, pathParameters } = match;
    try {
      const module = await options.loadModule(route.function.entry);
      const handler = module[route.function.handlerExport] as HttpHandler | undefined;
      if (typeof handler !== "function") throw new Error(`${route.function.entry} does not export a handler`);
      const event = toHttpApiEvent(request, route, Buffer.concat(chunks), url, pathParameters);
      const result = await runAsFunction(route.function.logicalId, () =>
        handler(event, lambdaContext(route.function, event.requestContext.requestId)),
      );
      writeHttpApiResult(response, result);
    } catch (error) {
      // As API Gateway does when the integration fails: no detail leaks to the caller; the log keeps the name.
      process.stderr.write(
        `${route.function.entry} failed: ${(error as Error)?.name}: ${(error as Error)?.message}\n`,
      );
      send(response, 500, { message: "Internal Server Error" });
    }
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
