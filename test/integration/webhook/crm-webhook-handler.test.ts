// The Lambda module as deployed: cold-start configuration, real SDK clients found through the standard
// AWS_ENDPOINT_URL_<SERVICE> variables, HTTP API v2 events in, responses and EMF metrics out.
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { captureProcessOutput } from "../../support/captured-output.js";
import { FakeAwsJsonEndpoint } from "../../support/fake-aws-json-endpoint.js";

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:Onboarding";
const SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:practice-onboarding/webhook-signing";
const SECRET = `whsec_${Buffer.from("handler test secret, 32 bytes ok").toString("base64")}`;
const ENV_NAMES = [
  "ONBOARDING_STATE_MACHINE_ARN",
  "WEBHOOK_SECRET_ARN",
  "AWS_ENDPOINT_URL_SFN",
  "AWS_ENDPOINT_URL_SECRETS_MANAGER",
  "AWS_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_MAX_ATTEMPTS",
] as const;

const endpoint = new FakeAwsJsonEndpoint();
const output = captureProcessOutput();
const savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));

function configureEnvironment(
  overrides: Partial<Record<(typeof ENV_NAMES)[number], string | undefined>> = {},
) {
  const values = {
    ONBOARDING_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
    WEBHOOK_SECRET_ARN: SECRET_ID,
    AWS_ENDPOINT_URL_SFN: endpoint.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint.url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_MAX_ATTEMPTS: "1",
    ...overrides,
  };
  for (const name of ENV_NAMES) {
    const value = values[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

// A fresh module graph per load: the errors module is re-evaluated too, so compare by name, not instanceof.
async function loadHandler() {
  vi.resetModules();
  return (await import("../../../functions/webhook/crm-webhook.js")).handler;
}

function apiEvent(headers: Record<string, string>, body: string): APIGatewayProxyEventV2 {
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "POST /webhooks/crm",
    rawPath: "/webhooks/crm",
    rawQueryString: "",
    headers,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: "123456789012",
      apiId: "api1234567",
      domainName: "api1234567.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "api1234567",
      http: {
        method: "POST",
        path: "/webhooks/crm",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: "crm/1.0",
      },
      requestId: "req-1",
      routeKey: "POST /webhooks/crm",
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
}

function signedEvent(id: string, data: Record<string, unknown>): APIGatewayProxyEventV2 {
  const body = JSON.stringify({
    type: "practice.onboarding.requested",
    timestamp: new Date().toISOString(),
    data,
  });
  const at = new Date();
  return apiEvent(
    {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(SECRET).sign(id, at, body),
    },
    body,
  );
}

/** Metric names and dimensions from the EMF lines written so far. */
function emittedMetrics(): { name: string; reason?: unknown }[] {
  return output
    .records()
    .filter((record) => record._aws !== undefined)
    .flatMap((record) => {
      const directives = (record._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] })
        .CloudWatchMetrics;
      return directives.flatMap((directive) =>
        directive.Metrics.map((metric) =>
          record.reason === undefined ? { name: metric.Name } : { name: metric.Name, reason: record.reason },
        ),
      );
    });
}

function configurationError(message: string) {
  return { name: "ConfigurationError", message };
}

beforeAll(async () => {
  await endpoint.start();
});

afterAll(async () => {
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  await endpoint.stop();
});

beforeEach(() => {
  endpoint.reset();
  endpoint.secrets.set(SECRET_ID, JSON.stringify({ secrets: [SECRET] }));
  configureEnvironment();
});

describe("crm-webhook handler", () => {
  it("fails to load naming ONBOARDING_STATE_MACHINE_ARN when it is missing", async () => {
    configureEnvironment({ ONBOARDING_STATE_MACHINE_ARN: undefined });

    await expect(loadHandler()).rejects.toMatchObject(
      configurationError("Environment variable ONBOARDING_STATE_MACHINE_ARN is not set"),
    );
  });

  it("fails to load naming WEBHOOK_SECRET_ARN when it is missing", async () => {
    configureEnvironment({ WEBHOOK_SECRET_ARN: "" });

    await expect(loadHandler()).rejects.toMatchObject(
      configurationError("Environment variable WEBHOOK_SECRET_ARN is not set"),
    );
  });

  it("fails to load when ONBOARDING_STATE_MACHINE_ARN is not a state machine ARN", async () => {
    configureEnvironment({ ONBOARDING_STATE_MACHINE_ARN: "Onboarding" });

    await expect(loadHandler()).rejects.toMatchObject(
      configurationError(
        'Environment variable ONBOARDING_STATE_MACHINE_ARN must be a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), got "Onboarding"',
      ),
    );
  });

  it("answers a signed HTTP API event with 202, a JSON content type, and counts it as accepted", async () => {
    const handler = await loadHandler();

    const response = await handler(signedEvent("msg_handler_1", { practiceId: "practice-7" }));

    expect(response).toEqual({
      statusCode: 202,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        executionArn: "arn:aws:states:us-east-1:123456789012:execution:Onboarding:crm-msg_handler_1",
        practiceId: "practice-7",
        outcome: "accepted",
      }),
    });
    expect(endpoint.callsTo("AWSStepFunctions.StartExecution").map((call) => call.body.name)).toEqual([
      "crm-msg_handler_1",
    ]);
    expect(emittedMetrics()).toEqual([{ name: "WebhookAccepted" }]);
  });

  it("counts a redelivery as a duplicate", async () => {
    const handler = await loadHandler();
    const event = signedEvent("msg_handler_2", { practiceId: "practice-7" });

    const statuses = [(await handler(event)).statusCode, (await handler(event)).statusCode];

    expect(statuses).toEqual([202, 200]);
    expect(emittedMetrics()).toEqual([{ name: "WebhookAccepted" }, { name: "WebhookDuplicate" }]);
  });

  it("counts a rejection with its reason as a dimension", async () => {
    const handler = await loadHandler();
    const event = signedEvent("msg_handler_3", { practiceId: "practice-7" });

    const response = await handler({ ...event, body: `${event.body} ` });

    expect(response.statusCode).toBe(401);
    expect(emittedMetrics()).toEqual([{ name: "WebhookRejected", reason: "InvalidSignature" }]);
  });

  it("counts a Step Functions outage as a 5xx", async () => {
    const handler = await loadHandler();
    endpoint.failNext("AWSStepFunctions.DescribeExecution", {
      statusCode: 503,
      type: "ServiceUnavailable",
      message: "down",
    });

    const response = await handler(signedEvent("msg_handler_4", { practiceId: "practice-7" }));

    expect(response.statusCode).toBe(503);
    expect(emittedMetrics()).toEqual([{ name: "Webhook5xx" }]);
  });
});
