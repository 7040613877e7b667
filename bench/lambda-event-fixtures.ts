// One representative event and environment per handler for the cold-init benchmark. Every AWS endpoint and the
// portal point at a closed local port, so a handler runs its real cold path (module init, validation, SDK client
// construction, credentials, signing) up to its first network call, which is refused at once.
import { readFileSync } from "node:fs";
import { EVENT_BUS_NAME_ENV } from "../contracts/domain-event-names.js";
import { OUTBOX_ENTRY_ATTRIBUTE, OUTBOX_PK_PREFIX } from "../contracts/domain-event-outbox.js";

export interface HandlerFixture {
  /** The event, made fresh per run (the webhook's timestamp must be within ±5 minutes). */
  readonly event: () => unknown;
  /** Variables the handler reads; merged over the function's literal template environment. */
  readonly environment: Readonly<Record<string, string>>;
  /** What a run covers, for the report. */
  readonly measures: string;
}

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** What the Lambda runtime sets, and what makes the SDK fail fast (static credentials, one attempt). */
export function lambdaEnvironment(closedEndpoint: string): Record<string, string> {
  return {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: "AKIABENCHBENCHBENCH0",
    AWS_SECRET_ACCESS_KEY: "bench-secret-access-key",
    AWS_SESSION_TOKEN: "bench-session-token",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_LAMBDA_FUNCTION_NAME: "bench-function",
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
    TZ: ":UTC",
    // Every SDK client (DynamoDB, Step Functions, Secrets Manager) goes to the closed port; no retries.
    AWS_ENDPOINT_URL: closedEndpoint,
    AWS_MAX_ATTEMPTS: "1",
  };
}

function webhookFixture(): HandlerFixture {
  return {
    environment: {
      ONBOARDING_STATE_MACHINE_ARN: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Onboarding`,
      WEBHOOK_SECRET_ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:practice-onboarding/webhook-signing`,
    },
    measures:
      "init (SFN client) + header checks + Secrets Manager client and one GetSecretValue, refused → 500 response",
    event: () => {
      const now = new Date();
      const body = JSON.stringify({
        type: "practice.onboarding.requested",
        timestamp: now.toISOString(),
        data: { practiceId: "PRACTICE-BENCH-1", devRefId: "bench-1" },
      });
      return {
        version: "2.0",
        routeKey: "POST /webhooks/crm",
        rawPath: "/webhooks/crm",
        rawQueryString: "",
        headers: {
          "content-type": "application/json",
          "webhook-id": "msg_bench_0001",
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": `v1,${Buffer.alloc(32, 7).toString("base64")}`,
        },
        body,
        isBase64Encoded: false,
        requestContext: {
          accountId: ACCOUNT,
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
          requestId: "bench-request",
          routeKey: "POST /webhooks/crm",
          stage: "$default",
          time: now.toISOString(),
          timeEpoch: now.getTime(),
        },
      };
    },
  };
}

/** The HubSpot route: the shipped mapping, a delivery whose secret read is refused → 500. */
function providerWebhookFixture(): HandlerFixture {
  const webhook = webhookFixture();
  return {
    environment: {
      CRM_MAPPING: JSON.stringify(
        JSON.parse(readFileSync(new URL("../config/crm-mapping.json", import.meta.url), "utf8")),
      ),
      CRM_PROVIDER_SECRET_ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:practice-onboarding/crm-providers`,
      ONBOARDING_STATE_MACHINE_ARN: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Onboarding`,
      OFFBOARDING_REQUEST_STATE_MACHINE_ARN: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:OffboardingRequest`,
      OFFBOARDING_GRACE_SECONDS: "604800",
      OFFBOARDING_REQUIRES_APPROVAL: "false",
    },
    measures:
      "init (mapping, SFN client) + Secrets Manager client and one GetSecretValue, refused → 500 response",
    event: () => {
      const event = webhook.event() as { rawPath: string; routeKey: string; headers: Record<string, string> };
      return {
        ...event,
        rawPath: "/webhooks/hubspot",
        routeKey: "POST /webhooks/hubspot",
        headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
      };
    },
  };
}

/**
 * A workflow Task payload carrying every field the step handlers read (zod objects drop the rest), with the
 * table and the portal configured; the first network call (DynamoDB, or the portal's rate limiter) is refused.
 */
function workflowStepFixture(closedEndpoint: string): HandlerFixture {
  return {
    environment: {
      TABLE_NAME: "bench-practices",
      PORTAL_SECRET_ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:practice-onboarding/portal`,
      OPEN_DENTAL_BASE_URL: `${closedEndpoint}/api/v1`,
      ONBOARDING_STATE_MACHINE_ARN: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Onboarding`,
      OFFBOARDING_STATE_MACHINE_ARN: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Offboarding`,
    },
    measures: "init + payload validation + DynamoDB client and its first request, refused → throws",
    event: () => ({
      // The claim steps validate the execution input: onboarding reads devRefId, offboarding reason.
      input: { practiceId: "PRACTICE-BENCH-1", devRefId: "bench-1", reason: "bench", requestedBy: "bench" },
      practiceId: "PRACTICE-BENCH-1",
      devRefId: "bench-1",
      executionName: "bench-execution-1",
      requestedBy: "bench",
      reason: "bench",
    }),
  };
}

/** The fixture for `entry`; a handler with no fixture of its own gets the workflow step payload. */
export function fixtureFor(entry: string, closedEndpoint: string): HandlerFixture {
  if (entry === "functions/webhook/crm-webhook.ts") return webhookFixture();
  if (entry === "functions/webhook/provider-webhook.ts") return providerWebhookFixture();
  const step = workflowStepFixture(closedEndpoint);
  // The handlers fed by the HTTP API, a table stream or EventBridge get their own event shape: a step payload
  // would stop them at validation, before the cold path a real event takes.
  if (entry === "functions/activation/activation-page.ts") return activationPageFixture(step);
  if (entry === "functions/activation/activation-auto-issue.ts") return practiceOnboardedFixture(step);
  if (entry === "functions/claim-release/release-claim.ts") return executionFailedFixture(step);
  if (entry === "functions/domain-events/outbox-stream-handler.ts") return outboxStreamFixture();
  return step;
}

/** A practice's activation link opened: the token's lookup in the table is refused. */
function activationPageFixture(step: HandlerFixture): HandlerFixture {
  const webhook = webhookFixture();
  return {
    environment: step.environment,
    measures: "init + a GET /activate/{token} and its first DynamoDB request, refused → error page",
    event: () => {
      const event = webhook.event() as { requestContext: { http: object } };
      const token = "Yb3kq8ZrT1mW0pXcV7nL2sQe9uJ4hA6d";
      return {
        ...event,
        routeKey: "GET /activate/{token}",
        rawPath: `/activate/${token}`,
        pathParameters: { token },
        headers: { accept: "text/html", "user-agent": "Mozilla/5.0" },
        body: undefined,
        requestContext: {
          ...event.requestContext,
          http: { ...event.requestContext.http, method: "GET", path: `/activate/${token}` },
          routeKey: "GET /activate/{token}",
        },
      };
    },
  };
}

/** The PracticeOnboarded rule's delivery: the practice's read is refused. */
function practiceOnboardedFixture(step: HandlerFixture): HandlerFixture {
  return {
    environment: step.environment,
    measures: "init + a PracticeOnboarded event and its first DynamoDB request, refused → throws",
    event: () => ({
      version: "0",
      id: "bench-event-1",
      source: "practice-onboarding",
      "detail-type": "PracticeOnboarded",
      account: ACCOUNT,
      region: REGION,
      time: new Date().toISOString(),
      resources: [],
      detail: { practiceId: "PRACTICE-BENCH-1", occurredAt: new Date().toISOString() },
    }),
  };
}

/** Step Functions' status change for a failed onboarding: the claim's read is refused. */
function executionFailedFixture(step: HandlerFixture): HandlerFixture {
  const onboarding = step.environment.ONBOARDING_STATE_MACHINE_ARN!;
  return {
    environment: step.environment,
    measures: "init + a FAILED execution status event and its first DynamoDB request, refused → throws",
    event: () => ({
      version: "0",
      id: "bench-event-2",
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      account: ACCOUNT,
      region: REGION,
      time: new Date().toISOString(),
      resources: [`${onboarding.replace(":stateMachine:", ":execution:")}:bench-execution-1`],
      detail: {
        executionArn: `${onboarding.replace(":stateMachine:", ":execution:")}:bench-execution-1`,
        stateMachineArn: onboarding,
        name: "bench-execution-1",
        status: "FAILED",
        startDate: Date.now() - 5_000,
        stopDate: Date.now(),
        input: JSON.stringify({ practiceId: "PRACTICE-BENCH-1", devRefId: "bench-1", requestedBy: "bench" }),
      },
    }),
  };
}

/** One outbox item from the table stream: its PutEvents is refused (reported as a batch item failure). */
function outboxStreamFixture(): HandlerFixture {
  return {
    environment: { [EVENT_BUS_NAME_ENV]: "bench-domain-events" },
    measures: "init + one outbox stream record and its PutEvents, refused → batch item failure",
    event: () => ({
      Records: [
        {
          eventID: "bench-record-1",
          eventName: "INSERT",
          eventSource: "aws:dynamodb",
          awsRegion: REGION,
          dynamodb: {
            SequenceNumber: "100000000000000000001",
            Keys: { pk: { S: `${OUTBOX_PK_PREFIX}bench-1` }, sk: { S: "EVENT" } },
            NewImage: {
              pk: { S: `${OUTBOX_PK_PREFIX}bench-1` },
              sk: { S: "EVENT" },
              [OUTBOX_ENTRY_ATTRIBUTE]: {
                S: JSON.stringify({
                  Source: "practice-onboarding",
                  DetailType: "PracticeOnboarded",
                  Detail: JSON.stringify({ eventId: "bench-event-3", practiceId: "PRACTICE-BENCH-1" }),
                  Time: new Date().toISOString(),
                }),
              },
            },
            StreamViewType: "NEW_IMAGE",
          },
        },
      ],
    }),
  };
}
