// `POST /webhooks/crm` over HTTP: the deployed handler module behind the local HTTP API (local/http-api.ts),
// real SDK clients against an AWS JSON endpoint, deliveries signed with the `standardwebhooks` library itself.
import { request } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type LocalHttpApi, startLocalHttpApi } from "../../../local/http-api.js";
import { captureProcessOutput } from "../../support/captured-output.js";
import { FakeAwsJsonEndpoint } from "../../support/fake-aws-json-endpoint.js";

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:Onboarding";
const SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:practice-onboarding/webhook-signing";
const SECRET = `whsec_${Buffer.from("http test secret, 32 bytes long!").toString("base64")}`;
const START = "AWSStepFunctions.StartExecution";
const ENV = {
  ONBOARDING_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
  WEBHOOK_SECRET_ARN: SECRET_ID,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_MAX_ATTEMPTS: "1",
} as const;

const endpoint = new FakeAwsJsonEndpoint();
const output = captureProcessOutput();
const savedEnv: Record<string, string | undefined> = {};
let api: LocalHttpApi;

function eventBody(practiceId = "practice-http-1", timestamp = "2025-01-31T12:00:00Z"): string {
  return JSON.stringify({
    type: "practice.onboarding.requested",
    timestamp,
    data: { practiceId, devRefId: "Smile Dental" },
  });
}

/** Standard Webhooks headers for `signedPayload`, signed by the library. */
function signatureHeaders(id: string, signedPayload: string, at = new Date()): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(SECRET).sign(id, at, signedPayload),
  };
}

/** POSTs exactly `body` (string or bytes) with exactly these headers; answers status and parsed JSON. */
function post(
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${api.url}/webhooks/crm`);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  await endpoint.start();
  for (const [name, value] of Object.entries({
    ...ENV,
    AWS_ENDPOINT_URL_SFN: endpoint.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
  })) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  api = await startLocalHttpApi({
    routes: [
      {
        method: "POST",
        path: "/webhooks/crm",
        function: {
          logicalId: "WebhookFunction",
          stackName: "Test",
          functionName: "WebhookFunction",
          functionArn: "arn:aws:lambda:us-east-1:123456789012:function:WebhookFunction",
          entry: "functions/webhook/crm-webhook.ts",
          handlerExport: "handler",
          timeoutSeconds: 10,
          memorySize: 256,
          environment: {},
        },
      },
    ],
    port: 0,
    loadModule: () => import("../../../functions/webhook/crm-webhook.js"),
  });
});

afterAll(async () => {
  await api.close();
  await endpoint.stop();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

beforeEach(() => {
  endpoint.reset();
  endpoint.secrets.set(SECRET_ID, JSON.stringify({ secrets: [SECRET] }));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("POST /webhooks/crm over HTTP", () => {
  it("accepts a delivery signed by the standardwebhooks library", async () => {
    const body = eventBody();

    const response = await post(signatureHeaders("msg_http_ok", body), body);

    expect(response.status).toBe(202);
    expect(endpoint.callsTo(START)).toHaveLength(1);
  });

  it("rejects a byte order mark added in front of the signed body with 401 and starts nothing", async () => {
    const body = eventBody();

    const response = await post(signatureHeaders("msg_http_bom_added", body), `\uFEFF${body}`);

    expect(response).toMatchObject({ status: 401, body: { error: "InvalidSignature" } });
    expect(endpoint.callsTo(START)).toEqual([]);
  });

  it("verifies a body signed with its byte order mark, then names the mark with 400 and starts nothing", async () => {
    const body = `\uFEFF${eventBody()}`;

    const response = await post(signatureHeaders("msg_http_bom_signed", body), body);

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "InvalidBody" });
    expect(String(response.body.message)).toMatch(/byte order mark/);
    expect(endpoint.callsTo(START)).toEqual([]);
  });

  it("accepts a timestamp exactly five minutes old, as the library does, and rejects one a second older", async () => {
    // Late in a second: the clock's fraction must not count against the sender's whole-second timestamp.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 + 999);
    vi.useFakeTimers({ toFake: ["Date"], now });
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const atTolerance = new Date((nowSeconds - 300) * 1000);
    const beyond = new Date((nowSeconds - 301) * 1000);
    const body = eventBody();

    const onEdge = await post(signatureHeaders("msg_http_edge", body, atTolerance), body);
    const tooOld = await post(signatureHeaders("msg_http_too_old", body, beyond), body);

    expect(onEdge.status).toBe(202);
    expect(tooOld).toMatchObject({ status: 401, body: { error: "InvalidSignature" } });
    expect(endpoint.callsTo(START).map((call) => call.body.name)).toEqual(["crm-msg_http_edge"]);
  });

  it("accepts a timestamp exactly five minutes ahead and rejects one a second further", async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    vi.useFakeTimers({ toFake: ["Date"], now });
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const body = eventBody();

    const onEdge = await post(
      signatureHeaders("msg_http_future_edge", body, new Date((nowSeconds + 300) * 1000)),
      body,
    );
    const tooNew = await post(
      signatureHeaders("msg_http_too_new", body, new Date((nowSeconds + 301) * 1000)),
      body,
    );

    expect(onEdge.status).toBe(202);
    expect(tooNew).toMatchObject({ status: 401, body: { error: "InvalidSignature" } });
    expect(endpoint.callsTo(START).map((call) => call.body.name)).toEqual(["crm-msg_http_future_edge"]);
  });

  // The ordering rule ranks requests by this time: one dated ahead would outrank every real request after it (a
  // replay of it could undo an offboarding). Ahead by the signature's clock tolerance is skew; more is refused.
  it("refuses an event timestamp more than five minutes ahead of the clock with 400, starting nothing", async () => {
    const skewed = eventBody("practice-http-skew", new Date(Date.now() + 240_000).toISOString());
    const ahead = eventBody("practice-http-ahead", new Date(Date.now() + 3_600_000).toISOString());
    const farAhead = eventBody("practice-http-2099", "2099-01-01T00:00:00Z");

    const accepted = await post(signatureHeaders("msg_http_skewed", skewed), skewed);
    const refused = await post(signatureHeaders("msg_http_ahead", ahead), ahead);
    const refusedFar = await post(signatureHeaders("msg_http_2099", farAhead), farAhead);

    expect(accepted.status).toBe(202);
    expect(refused).toMatchObject({ status: 400, body: { error: "InvalidBody" } });
    expect(String(refused.body.message)).toMatch(/^data\.timestamp .* is ahead of this server's clock/);
    expect(refusedFar).toMatchObject({ status: 400, body: { error: "InvalidBody" } });
    expect(endpoint.callsTo(START).map((call) => call.body.name)).toEqual(["crm-msg_http_skewed"]);
  });

  it("never puts the secret or a signature in a response or a log line", async () => {
    const body = eventBody();
    const headers = signatureHeaders("msg_http_leak", body);

    const responses = [
      await post({ ...headers, "webhook-signature": `v1a,${headers["webhook-signature"]!.slice(3)}` }, body),
      await post({ ...headers, "webhook-timestamp": "17e8" }, body),
      await post(headers, `${body} `),
    ];

    expect(responses.map((r) => r.status)).toEqual([401, 401, 401]);
    const seen = JSON.stringify(responses) + output.text();
    expect(seen).not.toContain(SECRET.slice("whsec_".length, "whsec_".length + 12));
    expect(seen).not.toContain(headers["webhook-signature"]!.slice(3, 20));
    expect(endpoint.callsTo(START)).toEqual([]);
  });
});
