// The provider routes' domain with in-memory executions: what each provider's delivery starts, that the SOAP Ack
// comes only after the start succeeded, redelivery semantics, the two-secret rotation, and the secret's shape.
import { describe, expect, it } from "vitest";
import { parseCrmProviderSecrets } from "../../../functions/webhook/crm-provider-secrets.js";
import type { OffboardingRequestInput } from "../../../functions/webhook/offboarding-request.js";
import { readProviderWebhookConfig } from "../../../functions/webhook/provider-webhook-config.js";
import {
  handleProviderDelivery,
  type ProviderWebhookDeps,
} from "../../../functions/webhook/provider-webhook-request.js";
import { loadCrmMappingFile } from "../../../functions/webhook/providers/crm-mapping.js";
import { PROJECT_ROOT } from "../../../lib/handler-function.js";
import {
  buildSalesforceDelivery,
  hubspotDealStageEvent,
  signHubSpotDelivery,
} from "../../../local/provider-deliveries.js";

const mapping = loadCrmMappingFile(`${PROJECT_ROOT}/config/crm-mapping.json`);
const TOKEN = "t".repeat(40);
const NOW = new Date("2026-12-03T12:00:00Z");
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function fakeDeps(overrides: Partial<ProviderWebhookDeps> = {}) {
  const started = new Map<string, object>();
  const start = async (name: string, input: object) => {
    const alreadyStarted = started.has(name);
    if (!alreadyStarted) started.set(name, input);
    return { executionArn: `arn:aws:states:us-east-1:1:execution:sm:${name}`, alreadyStarted };
  };
  const deps: ProviderWebhookDeps = {
    mapping,
    secrets: async () => ({
      hubspotClientSecrets: ["new-secret", "old-secret"],
      salesforcePathTokens: [TOKEN],
    }),
    startOnboarding: start,
    startOffboardingRequest: (name: string, input: OffboardingRequestInput) => start(name, input),
    cancelOffboardingRequests: async () => [],
    graceSeconds: 7 * 24 * 3600,
    requiresApproval: false,
    now: () => NOW,
    logger: quiet,
    ...overrides,
  };
  return { deps, started };
}

function churnNotification(id: string) {
  return buildSalesforceDelivery({
    url: `https://api.example.com/webhooks/salesforce/${TOKEN}`,
    organizationId: "00D000000000062",
    notifications: [
      {
        id,
        sObjectType: "Account",
        fields: {
          Practice_Id__c: "p-1",
          Customer_Status__c: "Churned",
          LastModifiedDate: "2026-12-03T11:59:00Z",
        },
      },
    ],
  });
}

describe("handleProviderDelivery", () => {
  it("HubSpot: a delivery signed with the old client secret still verifies during a rotation", async () => {
    const { deps, started } = fakeDeps();
    const delivery = signHubSpotDelivery({
      url: "https://api.example.com/webhooks/hubspot",
      clientSecret: "old-secret",
      events: [hubspotDealStageEvent({ dealId: 7, stage: "closedwon", occurredAt: NOW })],
      timestamp: NOW,
    });
    const result = await handleProviderDelivery("hubspot", delivery, undefined, deps);
    expect(result.statusCode).toBe(200);
    expect([...started.values()]).toEqual([
      expect.objectContaining({ practiceId: "hubspot-deal-7", issuedAt: NOW.toISOString() }),
    ]);
  });

  it("Salesforce churn: starts a request whose runAt is the grace period away and carries the CRM's issuedAt; a redelivery starts nothing new", async () => {
    const { deps, started } = fakeDeps();
    const first = await handleProviderDelivery(
      "salesforce",
      churnNotification("04l000000000001"),
      TOKEN,
      deps,
    );
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain("<Ack>true</Ack>");
    expect(first.outcome).toEqual({ kind: "accepted" });
    expect([...started.values()]).toEqual([
      {
        practiceId: "p-1",
        reason: "salesforce reported the customer churned",
        requestedBy: "crm-webhook:salesforce:salesforce-00D000000000062-04l000000000001",
        issuedAt: "2026-12-03T11:59:00.000Z",
        runAt: "2026-12-10T12:00:00Z",
        requiresApproval: false,
      },
    ]);
    const again = await handleProviderDelivery(
      "salesforce",
      churnNotification("04l000000000001"),
      TOKEN,
      deps,
    );
    expect(again.body).toContain("<Ack>true</Ack>");
    expect(again.outcome).toEqual({ kind: "duplicate" });
    expect(started.size).toBe(1);
  });

  it("Salesforce: no Ack when the start fails — a 503 the sender retries", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $metadata: {},
    });
    const { deps } = fakeDeps({
      startOffboardingRequest: async () => {
        throw throttled;
      },
    });
    const result = await handleProviderDelivery(
      "salesforce",
      churnNotification("04l000000000002"),
      TOKEN,
      deps,
    );
    expect(result.statusCode).toBe(503);
    expect(result.body).not.toContain("Ack");
  });

  it("a provider missing from the mapping answers 404 and verifies nothing", async () => {
    const { deps, started } = fakeDeps({ mapping: { salesforce: mapping.salesforce! } });
    const delivery = signHubSpotDelivery({
      url: "https://api.example.com/webhooks/hubspot",
      clientSecret: "new-secret",
      events: [hubspotDealStageEvent({ dealId: 7, stage: "closedwon" })],
    });
    expect((await handleProviderDelivery("hubspot", delivery, undefined, deps)).statusCode).toBe(404);
    expect(started.size).toBe(0);
  });

  it("an unreadable secret is a 500 that starts nothing and names no value", async () => {
    const { deps, started } = fakeDeps({
      secrets: async () => {
        throw new Error("AccessDenied");
      },
    });
    const result = await handleProviderDelivery(
      "salesforce",
      churnNotification("04l000000000003"),
      TOKEN,
      deps,
    );
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain(TOKEN);
    expect(started.size).toBe(0);
  });
});

describe("parseCrmProviderSecrets", () => {
  it("accepts one or two of each, newest first", () => {
    const value = JSON.stringify({
      hubspotClientSecrets: ["a-secret-1", "a-secret-0"],
      salesforcePathTokens: [TOKEN],
    });
    expect(parseCrmProviderSecrets(value, "id")).toEqual({
      hubspotClientSecrets: ["a-secret-1", "a-secret-0"],
      salesforcePathTokens: [TOKEN],
    });
  });

  it("refuses a short path token or three secrets, naming the field and never the value", () => {
    const short = JSON.stringify({ salesforcePathTokens: ["short-token-value"] });
    expect(() => parseCrmProviderSecrets(short, "id")).toThrow(/salesforcePathTokens\.0 is malformed/);
    expect(() => parseCrmProviderSecrets(short, "id")).not.toThrow(/short-token-value/);
    const three = JSON.stringify({ hubspotClientSecrets: ["aaaaaaaa", "bbbbbbbb", "cccccccc"] });
    expect(() => parseCrmProviderSecrets(three, "id")).toThrow(/hubspotClientSecrets is malformed/);
    expect(() => parseCrmProviderSecrets("not json", "id")).toThrow(/\(value\) is malformed/);
  });
});

describe("readProviderWebhookConfig", () => {
  const env = {
    CRM_MAPPING: JSON.stringify(mapping),
    CRM_PROVIDER_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:x",
    ONBOARDING_STATE_MACHINE_ARN: "arn:aws:states:us-east-1:1:stateMachine:PracticeOnboarding-Onboarding",
    OFFBOARDING_REQUEST_STATE_MACHINE_ARN:
      "arn:aws:states:us-east-1:1:stateMachine:PracticeOnboarding-OffboardingRequest",
    OFFBOARDING_GRACE_SECONDS: "604800",
    OFFBOARDING_REQUIRES_APPROVAL: "false",
  };

  it("reads a complete environment", () => {
    expect(readProviderWebhookConfig(env)).toMatchObject({ graceSeconds: 604800, requiresApproval: false });
  });

  it("fails cold start naming the variable or the mapping path", () => {
    expect(() => readProviderWebhookConfig({ ...env, OFFBOARDING_GRACE_SECONDS: "7d" })).toThrow(
      /OFFBOARDING_GRACE_SECONDS must be whole seconds/,
    );
    expect(() =>
      readProviderWebhookConfig({ ...env, CRM_MAPPING: JSON.stringify({ hubspot: { rules: [] } }) }),
    ).toThrow(/environment variable CRM_MAPPING: hubspot\.practiceId/);
    const { CRM_PROVIDER_SECRET_ARN: _unused, ...missing } = env;
    expect(() => readProviderWebhookConfig(missing)).toThrow(/CRM_PROVIDER_SECRET_ARN is not set/);
  });
});
