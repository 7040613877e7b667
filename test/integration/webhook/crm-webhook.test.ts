// The CRM webhook domain driven with real Standard Webhooks signatures, the real SDK clients and Powertools
// secrets provider, against an AWS JSON endpoint that keeps Step Functions' documented name idempotency.
import { Logger } from "@aws-lambda-powertools/logger";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CrmDelivery,
  type CrmWebhookDeps,
  handleCrmDelivery,
  MAX_WEBHOOK_BODY_BYTES,
  ONBOARDING_REQUESTED,
} from "../../../functions/webhook/crm-webhook-request.js";
import { createOnboardingStarter } from "../../../functions/webhook/onboarding-starter.js";
import { createWebhookSecretsReader } from "../../../functions/webhook/webhook-secrets.js";
import { captureProcessOutput } from "../../support/captured-output.js";
import { FakeAwsJsonEndpoint } from "../../support/fake-aws-json-endpoint.js";

const STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:Onboarding";
const SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:practice-onboarding/webhook-signing";
const SECRET_NEW = `whsec_${Buffer.from("new signing secret, 32 bytes ok!").toString("base64")}`;
const SECRET_OLD = `whsec_${Buffer.from("old signing secret, 32 bytes ok!").toString("base64")}`;
const START = "AWSStepFunctions.StartExecution";
const DESCRIBE = "AWSStepFunctions.DescribeExecution";
const GET_SECRET = "secretsmanager.GetSecretValue";
const WEBHOOK_ID = "msg_2LJx8PzQf3";
const EXECUTION_ARN = `arn:aws:states:us-east-1:123456789012:execution:Onboarding:crm-${WEBHOOK_ID}`;

const endpoint = new FakeAwsJsonEndpoint();
const output = captureProcessOutput();
let sfn: SFNClient;
let deps: CrmWebhookDeps;

function clientConfig() {
  return {
    endpoint: endpoint.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    // Injected faults must reach the handler once, not be retried away by the SDK.
    maxAttempts: 1,
  };
}

function makeDeps(): CrmWebhookDeps {
  const provider = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(clientConfig()) });
  return {
    secrets: createWebhookSecretsReader(SECRET_ID, { fetch: (id, options) => provider.get(id, options) }),
    startOnboarding: createOnboardingStarter(sfn, STATE_MACHINE_ARN),
    now: () => new Date(),
    logger: new Logger({ serviceName: "crm-webhook-test", logLevel: "DEBUG" }),
  };
}

function eventBody(
  data: Record<string, unknown> = { practiceId: "practice-42", devRefId: "Smile Dental #4" },
  type = ONBOARDING_REQUESTED,
): string {
  return JSON.stringify({ type, timestamp: "2025-01-31T12:00:00Z", data });
}

function signed(
  body: string,
  options: { id?: string; at?: Date; secret?: string; contentType?: string } = {},
): CrmDelivery & { headers: Record<string, string> } {
  const id = options.id ?? WEBHOOK_ID;
  const at = options.at ?? new Date();
  return {
    headers: {
      "content-type": options.contentType ?? "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(options.secret ?? SECRET_NEW).sign(id, at, body),
    },
    body,
    isBase64Encoded: false,
  };
}

async function deliver(delivery: CrmDelivery): Promise<{ statusCode: number; body: unknown }> {
  const result = await handleCrmDelivery(delivery, deps);
  return { statusCode: result.statusCode, body: JSON.parse(result.body) };
}

/** A body of exactly `bytes` UTF-8 bytes that is a valid onboarding event. */
function eventBodyOfSize(bytes: number): string {
  const base = JSON.stringify({
    type: ONBOARDING_REQUESTED,
    timestamp: "2025-01-31T12:00:00Z",
    data: { practiceId: "practice-42" },
    padding: "",
  });
  return base.replace('"padding":""', `"padding":"${"x".repeat(bytes - base.length)}"`);
}

beforeAll(async () => {
  await endpoint.start();
  sfn = new SFNClient(clientConfig());
});

afterAll(async () => {
  sfn.destroy();
  await endpoint.stop();
});

beforeEach(() => {
  endpoint.reset();
  endpoint.secrets.set(SECRET_ID, JSON.stringify({ secrets: [SECRET_NEW, SECRET_OLD] }));
  deps = makeDeps();
});

describe("handleCrmDelivery", () => {
  it("starts one onboarding execution named after the webhook id and answers 202 with its ARN", async () => {
    const response = await deliver(signed(eventBody()));

    expect(response).toEqual({
      statusCode: 202,
      body: { executionArn: EXECUTION_ARN, practiceId: "practice-42", outcome: "accepted" },
    });
    expect(endpoint.callsTo(START).map((call) => call.body)).toEqual([
      {
        stateMachineArn: STATE_MACHINE_ARN,
        name: `crm-${WEBHOOK_ID}`,
        input: JSON.stringify({
          practiceId: "practice-42",
          devRefId: "Smile Dental #4",
          requestedBy: `crm-webhook:${WEBHOOK_ID}`,
          issuedAt: "2025-01-31T12:00:00.000Z",
        }),
      },
    ]);
  });

  it("answers 202 stale, still starting the execution, to a request issued at or before the practice's last transition", async () => {
    deps = { ...makeDeps(), lastTransition: async () => ({ lastTransitionAt: "2025-01-31T12:00:00.400Z" }) };

    // Issued 12:00:00.9: after the transition in real time, but whole seconds cannot tell (docs/events.md).
    const tie = await deliver(
      signed(
        JSON.stringify({
          type: ONBOARDING_REQUESTED,
          timestamp: "2025-01-31T12:00:00.900Z",
          data: { practiceId: "practice-42" },
        }),
      ),
    );

    expect(tie).toEqual({
      statusCode: 202,
      body: {
        executionArn: EXECUTION_ARN,
        practiceId: "practice-42",
        outcome: "stale",
        issuedAt: "2025-01-31T12:00:00.000Z",
        lastTransitionAt: "2025-01-31T12:00:00.400Z",
      },
    });
    expect(JSON.parse(String(endpoint.callsTo(START)[0]!.body.input))).toMatchObject({
      issuedAt: "2025-01-31T12:00:00.000Z",
    });
  });

  it("answers 202 accepted to a request issued in a later second than the last transition", async () => {
    deps = { ...makeDeps(), lastTransition: async () => ({ lastTransitionAt: "2025-01-31T11:59:59.999Z" }) };

    expect((await deliver(signed(eventBody()))).body).toMatchObject({ outcome: "accepted" });
  });

  it("answers 202 accepted when the practice's record cannot be read: its execution still decides", async () => {
    deps = {
      ...makeDeps(),
      lastTransition: async () => {
        throw Object.assign(new Error("User is not authorized to perform dynamodb:GetItem"), {
          name: "AccessDeniedException",
        });
      },
    };

    expect(await deliver(signed(eventBody()))).toEqual({
      statusCode: 202,
      body: { executionArn: EXECUTION_ARN, practiceId: "practice-42", outcome: "accepted" },
    });
  });

  it("labels the key with the practice id when the event has no devRefId", async () => {
    await deliver(signed(eventBody({ practiceId: "practice-42" })));

    expect(JSON.parse(String(endpoint.callsTo(START)[0]!.body.input))).toEqual({
      practiceId: "practice-42",
      devRefId: "practice-42",
      requestedBy: `crm-webhook:${WEBHOOK_ID}`,
      issuedAt: "2025-01-31T12:00:00.000Z",
    });
  });

  it("starts one execution for the same delivery sent five times and answers 200 duplicate after the first", async () => {
    const delivery = signed(eventBody());
    const responses = [];
    for (let attempt = 0; attempt < 5; attempt++) responses.push(await deliver(delivery));

    expect(responses.map((response) => response.statusCode)).toEqual([202, 200, 200, 200, 200]);
    expect(responses.slice(1).map((response) => response.body)).toEqual(
      Array(4).fill({ executionArn: EXECUTION_ARN, practiceId: "practice-42", duplicate: true }),
    );
    expect(new Set(endpoint.callsTo(START).map((call) => call.body.name))).toEqual(
      new Set([`crm-${WEBHOOK_ID}`]),
    );
    expect([...endpoint.executions.keys()]).toEqual([EXECUTION_ARN]);
  });

  it("answers 200 duplicate for a redelivery after the execution ended", async () => {
    await deliver(signed(eventBody()));
    endpoint.executions.get(EXECUTION_ARN)!.status = "SUCCEEDED";

    expect(await deliver(signed(eventBody()))).toEqual({
      statusCode: 200,
      body: { executionArn: EXECUTION_ARN, practiceId: "practice-42", duplicate: true },
    });
    expect(endpoint.callsTo(START)).toHaveLength(1);
  });

  it("answers 200 duplicate when the lookup misses an ended execution and StartExecution says it exists", async () => {
    await deliver(signed(eventBody()));
    endpoint.executions.get(EXECUTION_ARN)!.status = "FAILED";
    endpoint.hiddenFromDescribe.add(`crm-${WEBHOOK_ID}`);

    expect(await deliver(signed(eventBody()))).toEqual({
      statusCode: 200,
      body: { executionArn: EXECUTION_ARN, practiceId: "practice-42", duplicate: true },
    });
    expect(endpoint.executions.size).toBe(1);
  });

  it("rejects any change to the body, id, timestamp or signature with 401 and starts nothing", async () => {
    // Edits lean towards the ends and towards characters parsers skip or stop at ("0123", "123x", "sig,x").
    const edit = fc.record({
      position: fc.oneof(fc.constant("start" as const), fc.constant("end" as const), fc.nat()),
      deleteCount: fc.oneof(fc.constant(0), fc.nat({ max: 3 })),
      insert: fc.oneof(
        fc.string({ maxLength: 3, unit: "binary" }),
        fc.constantFrom("0", " ", ",", "x", "=", "\t"),
      ),
    });
    const splice = (
      text: string,
      e: { position: number | "start" | "end"; deleteCount: number; insert: string },
    ) => {
      const at =
        e.position === "start" ? 0 : e.position === "end" ? text.length : e.position % (text.length + 1);
      return text.slice(0, at) + e.insert + text.slice(at + e.deleteCount);
    };
    const part = fc.constantFrom("body", "webhook-id", "webhook-timestamp", "webhook-signature");

    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/),
        part,
        edit,
        async (practiceId, id, changed, change) => {
          const delivery = signed(eventBody({ practiceId }), { id });
          const original = changed === "body" ? delivery.body! : delivery.headers[changed]!;
          const tampered = splice(original, change);
          fc.pre(tampered !== original);
          // Adding a second signature next to the valid one is rotation, not a change to the signature.
          if (changed === "webhook-signature") fc.pre(!tampered.split(" ").includes(original));
          const attempt =
            changed === "body"
              ? { ...delivery, body: tampered }
              : { ...delivery, headers: { ...delivery.headers, [changed]: tampered } };

          const response = await deliver(attempt);

          expect(response.statusCode).toBe(401);
          expect((response.body as { error: string }).error).toBe("InvalidSignature");
        },
      ),
      { numRuns: 1000 },
    );
    expect(endpoint.callsTo(START)).toEqual([]);
    expect(endpoint.callsTo(DESCRIBE)).toEqual([]);
  });

  it.each([
    ["webhook-timestamp", '"0" + timestamp', (value: string) => `0${value}`],
    ["webhook-timestamp", 'timestamp + "x"', (value: string) => `${value}x`],
    ["webhook-timestamp", '" " + timestamp', (value: string) => ` ${value}`],
    ["webhook-signature", 'signature + ",x"', (value: string) => `${value},x`],
    ["webhook-signature", 'signature + " "', (value: string) => `${value} `],
  ] as const)(
    "rejects a %s the library would read leniently (%s) with 401",
    async (header, _shape, change) => {
      const delivery = signed(eventBody());
      delivery.headers[header] = change(delivery.headers[header]);

      expect((await deliver(delivery)).statusCode).toBe(401);
      expect(endpoint.callsTo(START)).toEqual([]);
    },
  );

  it("rejects a timestamp six minutes old with 401", async () => {
    const response = await deliver(signed(eventBody(), { at: new Date(Date.now() - 6 * 60_000) }));

    expect(response).toEqual({
      statusCode: 401,
      body: { error: "InvalidSignature", message: "webhook-timestamp is outside the ±5 minute tolerance" },
    });
    expect(endpoint.calls).toEqual([]);
  });

  it("rejects a timestamp six minutes in the future with 401", async () => {
    const response = await deliver(signed(eventBody(), { at: new Date(Date.now() + 6 * 60_000) }));

    expect(response).toEqual({
      statusCode: 401,
      body: { error: "InvalidSignature", message: "webhook-timestamp is outside the ±5 minute tolerance" },
    });
    expect(endpoint.calls).toEqual([]);
  });

  it("accepts deliveries signed with the old and with the new secret during a rotation", async () => {
    const withOld = await deliver(signed(eventBody(), { id: "msg_old", secret: SECRET_OLD }));
    const withNew = await deliver(signed(eventBody(), { id: "msg_new", secret: SECRET_NEW }));

    expect([withOld.statusCode, withNew.statusCode]).toEqual([202, 202]);
    expect(endpoint.callsTo(START).map((call) => call.body.name)).toEqual(["crm-msg_old", "crm-msg_new"]);
  });

  it("rejects a delivery signed with a secret that is not configured", async () => {
    const other = `whsec_${Buffer.from("some other secret, not ours at all").toString("base64")}`;

    expect(await deliver(signed(eventBody(), { secret: other }))).toEqual({
      statusCode: 401,
      body: {
        error: "InvalidSignature",
        message: "signature verification failed: No matching signature found",
      },
    });
  });

  it("accepts a delivery carrying several signatures when one of them matches", async () => {
    const delivery = signed(eventBody());
    const otherSignature = new Webhook(SECRET_OLD).sign(WEBHOOK_ID, new Date(), "another body");
    delivery.headers["webhook-signature"] = `${otherSignature} ${delivery.headers["webhook-signature"]}`;

    expect((await deliver(delivery)).statusCode).toBe(202);
  });

  it("accepts a secret stored as one bare whsec_ string", async () => {
    endpoint.secrets.set(SECRET_ID, SECRET_NEW);

    expect((await deliver(signed(eventBody()))).statusCode).toBe(202);
  });

  it("accepts header names in any case", async () => {
    const delivery = signed(eventBody());
    const headers = Object.fromEntries(
      Object.entries(delivery.headers).map(([name, value]) => [name.toUpperCase(), value]),
    );

    expect((await deliver({ ...delivery, headers })).statusCode).toBe(202);
  });

  it("accepts a base64-encoded body", async () => {
    const body = eventBody();
    const delivery = signed(body);

    const response = await deliver({
      ...delivery,
      body: Buffer.from(body).toString("base64"),
      isBase64Encoded: true,
    });

    expect(response.statusCode).toBe(202);
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const body = eventBodyOfSize(MAX_WEBHOOK_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(65_536);

    expect((await deliver(signed(body))).statusCode).toBe(202);
  });

  it("rejects a body of 64 KiB + 1 byte with 413 before reading the secret", async () => {
    const body = eventBodyOfSize(MAX_WEBHOOK_BODY_BYTES + 1);

    expect(await deliver(signed(body))).toEqual({
      statusCode: 413,
      body: { error: "PayloadTooLarge", message: "body must be at most 65536 bytes" },
    });
    expect(endpoint.calls).toEqual([]);
  });

  it("counts bytes, not characters, against the size limit", async () => {
    const body = eventBodyOfSize(MAX_WEBHOOK_BODY_BYTES - 1).replace("xx", "é");
    expect(Buffer.byteLength(body)).toBe(65_535);
    const tooLarge = body.replace("xx", "éé");

    expect((await deliver(signed(tooLarge))).statusCode).toBe(413);
  });

  it("rejects a content type other than application/json with 415", async () => {
    expect(await deliver(signed(eventBody(), { contentType: "text/plain" }))).toEqual({
      statusCode: 415,
      body: {
        error: "UnsupportedMediaType",
        message: 'content-type must be application/json (charset utf-8 if given), got "text/plain"',
      },
    });
    expect(endpoint.calls).toEqual([]);
  });

  it("rejects a request without a content type with 415", async () => {
    const delivery = signed(eventBody());
    const { "content-type": _, ...headers } = delivery.headers;

    expect((await deliver({ ...delivery, headers })).statusCode).toBe(415);
  });

  it("rejects a charset other than utf-8 with 415", async () => {
    const delivery = signed(eventBody(), { contentType: "application/json; charset=iso-8859-1" });

    expect((await deliver(delivery)).statusCode).toBe(415);
  });

  it("accepts application/json with a utf-8 charset", async () => {
    const delivery = signed(eventBody(), { contentType: "Application/JSON; charset=UTF-8" });

    expect((await deliver(delivery)).statusCode).toBe(202);
  });

  it("names the missing signature headers with 401", async () => {
    const delivery = signed(eventBody());
    const { "webhook-signature": _, "webhook-timestamp": __, ...headers } = delivery.headers;

    expect(await deliver({ ...delivery, headers })).toEqual({
      statusCode: 401,
      body: { error: "InvalidSignature", message: "missing header(s): webhook-timestamp, webhook-signature" },
    });
  });

  it("rejects a signed body that is not JSON with 400", async () => {
    expect(await deliver(signed("practiceId=practice-42"))).toEqual({
      statusCode: 400,
      body: { error: "InvalidBody", message: "body is not valid JSON" },
    });
    expect(endpoint.callsTo(START)).toEqual([]);
  });

  it("rejects a JSON body that is not an object with 400", async () => {
    expect(await deliver(signed("[1,2]"))).toEqual({
      statusCode: 400,
      body: {
        error: "InvalidBody",
        message: 'body must be a JSON object like {"type": "...", "data": {...}}',
      },
    });
  });

  it("names a bad data.practiceId with 400", async () => {
    expect(await deliver(signed(eventBody({ practiceId: "practice 42" })))).toEqual({
      statusCode: 400,
      body: {
        error: "InvalidBody",
        message:
          'data.practiceId must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", got "practice 42"',
      },
    });
    expect(endpoint.callsTo(START)).toEqual([]);
  });

  it("names a missing data.practiceId with 400", async () => {
    expect(await deliver(signed(eventBody({ devRefId: "Smile" })))).toEqual({
      statusCode: 400,
      body: { error: "InvalidBody", message: "data.practiceId is required" },
    });
  });

  it("names a bad data.devRefId with 400", async () => {
    expect(await deliver(signed(eventBody({ practiceId: "p-1", devRefId: "a\nb" })))).toEqual({
      statusCode: 400,
      body: {
        error: "InvalidBody",
        message: "data.devRefId must not contain control characters (newline, tab, NUL, …)",
      },
    });
  });

  it("names a missing type with 400", async () => {
    expect(await deliver(signed(JSON.stringify({ data: { practiceId: "p-1" } })))).toEqual({
      statusCode: 400,
      body: { error: "InvalidBody", message: "type is required" },
    });
  });

  it("names a timestamp that is not ISO 8601 with 400", async () => {
    const body = JSON.stringify({
      type: ONBOARDING_REQUESTED,
      timestamp: "yesterday",
      data: { practiceId: "p" },
    });

    expect(await deliver(signed(body))).toEqual({
      statusCode: 400,
      body: {
        error: "InvalidBody",
        message: "timestamp must be an ISO 8601 date-time such as 2025-01-31T12:00:00Z",
      },
    });
  });

  it("names a missing data object with 400", async () => {
    const body = JSON.stringify({ type: ONBOARDING_REQUESTED, timestamp: "2025-01-31T12:00:00+01:00" });

    expect(await deliver(signed(body))).toEqual({
      statusCode: 400,
      body: {
        error: "InvalidBody",
        message: 'data must be an object like {"practiceId": "...", "devRefId": "..."}',
      },
    });
  });

  it("answers 202 ignored for an event type it does not handle and starts nothing", async () => {
    expect(await deliver(signed(eventBody({ anything: true }, "practice.updated")))).toEqual({
      statusCode: 202,
      body: { ignored: true, type: "practice.updated" },
    });
    expect(endpoint.callsTo(START)).toEqual([]);
    expect(endpoint.callsTo(DESCRIBE)).toEqual([]);
  });

  it("answers 500 and starts nothing when the signing secret cannot be read", async () => {
    endpoint.secrets.delete(SECRET_ID);

    expect(await deliver(signed(eventBody()))).toEqual({
      statusCode: 500,
      body: {
        error: "ConfigurationError",
        message: "the webhook signing secret could not be read; nothing was started, retry later",
      },
    });
    expect(endpoint.callsTo(GET_SECRET)).toHaveLength(1);
    expect(endpoint.callsTo(START)).toEqual([]);
  });

  it("answers 500 without revealing the value when the stored secret is malformed", async () => {
    endpoint.secrets.set(SECRET_ID, JSON.stringify({ secrets: ["hunter2-not-a-whsec"] }));

    const response = await deliver(signed(eventBody()));

    expect(response.statusCode).toBe(500);
    expect(output.text()).toContain("secrets[0] is not a Standard Webhooks secret");
    expect(output.text()).not.toContain("hunter2");
    expect(JSON.stringify(response.body)).not.toContain("hunter2");
  });

  it("answers 503 when Step Functions is unavailable", async () => {
    endpoint.failNext(DESCRIBE, { statusCode: 503, type: "ServiceUnavailable", message: "try later" });

    expect(await deliver(signed(eventBody()))).toEqual({
      statusCode: 503,
      body: {
        error: "StepFunctionsUnavailable",
        message: "Step Functions is unavailable or throttling; retry later",
      },
    });
    expect(endpoint.executions.size).toBe(0);
  });

  it("answers 503 when StartExecution is throttled", async () => {
    endpoint.failNext(START, { statusCode: 400, type: "ThrottlingException", message: "Rate exceeded" });

    expect((await deliver(signed(eventBody()))).statusCode).toBe(503);
  });

  it("answers 500 naming the error when Step Functions refuses the call", async () => {
    endpoint.failNext(DESCRIBE, { statusCode: 400, type: "AccessDeniedException", message: "not allowed" });

    expect(await deliver(signed(eventBody()))).toEqual({
      statusCode: 500,
      body: {
        error: "StartExecutionFailed",
        message: "the onboarding execution could not be started (AccessDeniedException); retry later",
      },
    });
  });

  it("starts the execution once the CRM retries a delivery that met a Step Functions outage", async () => {
    endpoint.failNext(START, { statusCode: 500, type: "InternalFailure", message: "boom" });
    const delivery = signed(eventBody());

    const statuses = [(await deliver(delivery)).statusCode, (await deliver(delivery)).statusCode];

    expect(statuses).toEqual([503, 202]);
    expect([...endpoint.executions.keys()]).toEqual([EXECUTION_ARN]);
  });

  it("logs the webhook id with each line and never the secret or the signature", async () => {
    const delivery = signed(eventBody());
    await deliver(delivery);
    await deliver({ ...delivery, body: eventBody({ practiceId: "practice-43" }) });

    const records = output.records();
    expect(records.map((record) => [record.message, record.webhookId])).toEqual([
      ["Onboarding started", WEBHOOK_ID],
      ["Webhook rejected", WEBHOOK_ID],
    ]);
    for (const secretText of [SECRET_NEW, SECRET_NEW.slice(6), SECRET_OLD.slice(6)]) {
      expect(output.text()).not.toContain(secretText);
    }
    expect(output.text()).not.toContain(delivery.headers["webhook-signature"].slice(3));
  });
});
