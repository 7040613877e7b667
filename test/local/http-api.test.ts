// The local HTTP API: routes read from the synthesized template, requests turned into HTTP API v2 events,
// handler results turned into responses, and failures answered as API Gateway does.
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../lib/build-app.js";
import {
  findHttpApiRoute,
  httpApiRoutes,
  type LocalHttpApi,
  startLocalHttpApi,
} from "../../local/http-api.js";
import { extractStateMachines } from "../../local/state-machine-extractor.js";
import { synthesizeTemplates } from "../../local/synthesize.js";
import { captureProcessOutput } from "../support/captured-output.js";

const webhookFunction = {
  logicalId: "WebhookFunction",
  stackName: "Test",
  functionName: "WebhookFunction",
  functionArn: "arn:aws:lambda:us-east-1:000000000000:function:WebhookFunction",
  entry: "functions/webhook/crm-webhook.ts",
  handlerExport: "handler",
  timeoutSeconds: 10,
  memorySize: 256,
  environment: {},
};

let api: LocalHttpApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Serves one route whose handler is `handler`; returns what it was called with. */
async function serve(handler: (event: APIGatewayProxyEventV2) => Promise<unknown>) {
  const events: APIGatewayProxyEventV2[] = [];
  const loaded: string[] = [];
  api = await startLocalHttpApi({
    routes: [{ method: "POST", path: "/webhooks/crm", function: webhookFunction }],
    port: 0,
    loadModule: async (entry) => {
      loaded.push(entry);
      return {
        handler: async (event: APIGatewayProxyEventV2) => {
          events.push(event);
          return handler(event);
        },
      };
    },
  });
  return { url: api.url, events, loaded };
}

const accepted = async () => ({ statusCode: 202, body: '{"ok":true}' });

describe("httpApiRoutes", () => {
  it("maps the synthesized app's routes to their handler modules: the CRM webhook and the activation page", () => {
    const templates = synthesizeTemplates(buildApp);
    const routes = httpApiRoutes(templates, extractStateMachines(templates).functions);

    expect(
      routes.map((route) => [route.method, route.path, route.function.entry, route.function.handlerExport]),
    ).toEqual(
      expect.arrayContaining([
        ["POST", "/webhooks/crm", "functions/webhook/crm-webhook.ts", "handler"],
        ["GET", "/activate/{token}", "functions/activation/activation-page.ts", "handler"],
        ["POST", "/activate/{token}", "functions/activation/activation-page.ts", "handler"],
      ]),
    );
  });
});

describe("startLocalHttpApi", () => {
  captureProcessOutput();

  it("answers 404 Not Found for a path no route has, without loading any handler", async () => {
    const { url, loaded } = await serve(accepted);

    const response = await fetch(`${url}/webhooks/other`, { method: "POST", body: "{}" });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: "Not Found" });
    expect(loaded).toEqual([]);
  });

  it("answers 404 Not Found for the route's path with another method", async () => {
    const { url, loaded } = await serve(accepted);

    const response = await fetch(`${url}/webhooks/crm`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: "Not Found" });
    expect(loaded).toEqual([]);
  });

  it("passes an HTTP API v2 event: lower-cased headers, the text body as is, query parameters, route key", async () => {
    const { url, events } = await serve(accepted);

    await fetch(`${url}/webhooks/crm?source=crm&attempt=2`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Webhook-ID": "msg_1", "X-Custom": "A" },
      body: '{"type":"practice.onboarding.requested"}',
    });

    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "POST /webhooks/crm",
      rawPath: "/webhooks/crm",
      rawQueryString: "source=crm&attempt=2",
      queryStringParameters: { source: "crm", attempt: "2" },
      body: '{"type":"practice.onboarding.requested"}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: "POST", path: "/webhooks/crm" },
        routeKey: "POST /webhooks/crm",
        stage: "$default",
      },
    });
    expect(event!.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": "msg_1",
      "x-custom": "A",
    });
    expect(Object.keys(event!.headers).filter((name) => name !== name.toLowerCase())).toEqual([]);
  });

  it("base64-encodes a binary body and says so with isBase64Encoded", async () => {
    const { url, events } = await serve(accepted);
    const bytes = Buffer.from([0, 1, 2, 250, 255]);

    await fetch(`${url}/webhooks/crm`, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: bytes,
    });

    expect(events[0]).toMatchObject({ body: bytes.toString("base64"), isBase64Encoded: true });
  });

  it("passes no body and isBase64Encoded false for an empty request", async () => {
    const { url, events } = await serve(accepted);

    await fetch(`${url}/webhooks/crm`, { method: "POST" });

    expect(events[0]!.body).toBeUndefined();
    expect(events[0]!.isBase64Encoded).toBe(false);
  });

  it("answers with the handler's status code, headers and body", async () => {
    const { url } = await serve(async () => ({
      statusCode: 401,
      headers: { "content-type": "application/json", "x-request-id": "r-1" },
      body: '{"message":"signature does not match"}',
    }));

    const response = await fetch(`${url}/webhooks/crm`, { method: "POST", body: "{}" });

    expect(response.status).toBe(401);
    expect(response.headers.get("x-request-id")).toBe("r-1");
    expect(await response.text()).toBe('{"message":"signature does not match"}');
  });

  it("answers 500 Internal Server Error without the handler's error when the handler throws", async () => {
    const { url } = await serve(async () => {
      throw new Error("table PracticeOnboarding-Practices not found at http://127.0.0.1:8000");
    });

    const response = await fetch(`${url}/webhooks/crm`, { method: "POST", body: "{}" });

    expect(response.status).toBe(500);
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
  });
});

describe("findHttpApiRoute", () => {
  const routes = [
    { method: "GET", path: "/activate/assets/{asset}" },
    { method: "GET", path: "/activate/{token}" },
    { method: "GET", path: "/activate/health" },
    { method: "POST", path: "/activate/{token}" },
  ];

  it("matches {name} segments as API Gateway route keys do, preferring an exact path", () => {
    expect(findHttpApiRoute(routes, "GET", "/activate/abc")).toEqual({
      route: routes[1],
      pathParameters: { token: "abc" },
    });
    expect(findHttpApiRoute(routes, "GET", "/activate/health")).toEqual({ route: routes[2] });
    expect(findHttpApiRoute(routes, "GET", "/activate/assets/copy.js")?.pathParameters).toEqual({
      asset: "copy.js",
    });
    expect(findHttpApiRoute(routes, "POST", "/activate/a%2Fb")?.pathParameters).toEqual({ token: "a/b" });
    expect(findHttpApiRoute(routes, "POST", "/activate/%E0")?.pathParameters).toEqual({ token: "%E0" });
  });

  it("matches nothing for an empty segment, an extra segment or another method", () => {
    expect(findHttpApiRoute(routes, "GET", "/activate/")).toBeUndefined();
    expect(findHttpApiRoute(routes, "GET", "/activate/a/b/c")).toBeUndefined();
    expect(findHttpApiRoute(routes, "DELETE", "/activate/abc")).toBeUndefined();
  });
});
