// Issue 18 end to end on the local stack (IAM enforced): HubSpot and Salesforce deliveries through the public
// routes, the offboarding request's grace period (shortened to a few seconds), and hostile input per provider.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { buildApp } from "../../lib/build-app.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import {
  buildSalesforceDelivery,
  hubspotDealStageEvent,
  type SampleDelivery,
  signHubSpotDelivery,
} from "../../local/provider-deliveries.js";
import { executionArnsOf, sendProviderDelivery } from "../../local/provider-webhook-sender.js";
import { type OpsRun, runOpsCli } from "../support/ops-cli.js";

// Long enough for `ops --local` (a few seconds to start) to see a request pending; the real default is 7 days.
const GRACE_SECONDS = 30;
const ORG_ID = "00D000000000062";

let stack: LocalStack;
let stateDir: string;
let store: PracticeStore;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "crm-providers-"));
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(await findFreePort()), PORTAL_MAX_RPS: "50" }),
    stateDir,
    retryIntervalOverrides: 0,
    buildApp: (app: App) => {
      app.node.setContext("offboardingGraceSeconds", String(GRACE_SECONDS));
      return buildApp(app);
    },
  });
  store = new PracticeStore({
    client: DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamoDbEndpoint)),
    tableName: stack.endpoints.outputs[STACK_OUTPUTS.tableName]!,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const hubspotUrl = () => `${stack.endpoints.httpApiUrl}/webhooks/hubspot`;
const salesforceUrl = (token = stack.crmProviderSecrets.salesforcePathTokens[0]!) =>
  `${stack.endpoints.httpApiUrl}/webhooks/salesforce/${token}`;

function hubspotDelivery(events: object[], clientSecret = stack.crmProviderSecrets.hubspotClientSecrets[0]!) {
  return signHubSpotDelivery({ url: hubspotUrl(), clientSecret, events });
}

let notificationCounter = 0;
function salesforceNotification(practiceId: string, status: string, lastModified: Date) {
  notificationCounter++;
  return {
    id: `04l00000000${String(notificationCounter).padStart(4, "0")}`,
    sObjectType: "Account",
    fields: {
      Id: "001000000000001",
      Name: `Practice ${practiceId}`,
      Practice_Id__c: practiceId,
      Customer_Status__c: status,
      LastModifiedDate: lastModified.toISOString(),
    },
  };
}

function salesforceDelivery(
  notifications: ReturnType<typeof salesforceNotification>[],
  options: { url?: string; organizationId?: string } = {},
): SampleDelivery {
  return buildSalesforceDelivery({
    url: options.url ?? salesforceUrl(),
    organizationId: options.organizationId ?? ORG_ID,
    notifications,
  });
}

const requestMachine = () => stack.endpoints.outputs[STACK_OUTPUTS.offboardingRequest]!;
const onboardingMachine = () => stack.endpoints.outputs[STACK_OUTPUTS.onboarding]!;

function executionsOf(stateMachineArn: string) {
  return stack.engine.listExecutions({ stateMachineArn }).executions ?? [];
}

function executionCounts() {
  return {
    onboarding: executionsOf(onboardingMachine()).length,
    requests: executionsOf(requestMachine()).length,
    offboarding: executionsOf(stack.endpoints.outputs[STACK_OUTPUTS.offboarding]!).length,
  };
}

/** The request execution a churn notification started, found by its practice in the execution input. */
function requestsFor(practiceId: string) {
  return executionsOf(requestMachine()).filter((execution) => {
    const described = stack.engine.describeExecution(execution.executionArn!);
    return JSON.parse(described.input ?? "{}").practiceId === practiceId;
  });
}

async function onboardThroughSalesforce(practiceId: string) {
  const response = await sendProviderDelivery(
    salesforceDelivery([salesforceNotification(practiceId, "Active", new Date())]),
  );
  expect(response.status).toBe(200);
  const onboarding = executionsOf(onboardingMachine()).find(
    (execution) =>
      JSON.parse(stack.engine.describeExecution(execution.executionArn!).input ?? "{}").practiceId ===
      practiceId,
  );
  expect(onboarding).toBeDefined();
  expect((await stack.engine.waitForExecution(onboarding!.executionArn!)).status).toBe("SUCCEEDED");
  await stack.executionStatusEvents.idle();
  expect((await store.getPractice(practiceId))?.status).toBe("ACTIVE");
}

describe("HubSpot", () => {
  it("a signed 'deal won' onboards the deal's practice; a redelivery answers 200 with the same execution", async () => {
    const event = hubspotDealStageEvent({ dealId: 4401, stage: "closedwon", attemptNumber: 0 });
    const first = await sendProviderDelivery(hubspotDelivery([event]));
    expect(first.status).toBe(200);
    const [executionArn] = executionArnsOf(first);
    expect(executionArn).toBeDefined();
    expect((await stack.engine.waitForExecution(executionArn!)).status).toBe("SUCCEEDED");
    await stack.executionStatusEvents.idle();
    expect((await store.getPractice("hubspot-deal-4401"))?.status).toBe("ACTIVE");

    // HubSpot's retry: same event, next attemptNumber, signed again.
    const retry = await sendProviderDelivery(hubspotDelivery([{ ...event, attemptNumber: 1 }]));
    expect(retry.status).toBe(200);
    expect(executionArnsOf(retry)).toEqual([executionArn]);
    expect((retry.body as { results: { alreadyStarted: boolean }[] }).results[0]!.alreadyStarted).toBe(true);
  }, 60_000);

  it("hostile or tampered deliveries get a 4xx and start nothing", async () => {
    const before = executionCounts();
    const genuine = hubspotDelivery([hubspotDealStageEvent({ dealId: 4402, stage: "closedwon" })]);
    const cases: [string, SampleDelivery, number][] = [
      ["tampered body", { ...genuine, body: genuine.body.replace("4402", "4403") }, 401],
      [
        "wrong secret",
        hubspotDelivery([hubspotDealStageEvent({ dealId: 4402, stage: "closedwon" })], "not-the-secret"),
        401,
      ],
      [
        "stale timestamp",
        signHubSpotDelivery({
          url: hubspotUrl(),
          clientSecret: stack.crmProviderSecrets.hubspotClientSecrets[0]!,
          events: [hubspotDealStageEvent({ dealId: 4402, stage: "closedwon" })],
          timestamp: new Date(Date.now() - 6 * 60_000),
        }),
        401,
      ],
      [
        "wrong content type",
        { ...genuine, headers: { ...genuine.headers, "content-type": "text/plain" } },
        415,
      ],
      [
        "oversized",
        hubspotDelivery([
          { ...hubspotDealStageEvent({ dealId: 4402, stage: "closedwon" }), pad: "x".repeat(300_000) },
        ]),
        413,
      ],
    ];
    for (const [name, delivery, status] of cases) {
      const response = await sendProviderDelivery(delivery);
      expect({ name, status: response.status }).toEqual({ name, status });
    }
    expect(executionCounts()).toEqual(before);
    expect(await store.getPractice("hubspot-deal-4402")).toBeUndefined();
    expect(await store.getPractice("hubspot-deal-4403")).toBeUndefined();
  }, 60_000);
});

/** Runs `ops --local …` against the test's stack, as the operator. */
function ops(...args: string[]): Promise<OpsRun> {
  return runOpsCli(["--local", ...args], { PRACTICE_ONBOARDING_STATE_DIR: stateDir });
}

function offboardingsOf(practiceId: string) {
  return executionsOf(stack.endpoints.outputs[STACK_OUTPUTS.offboarding]!).filter(
    (execution) =>
      JSON.parse(stack.engine.describeExecution(execution.executionArn!).input ?? "{}").practiceId ===
      practiceId,
  );
}

describe("ops and a pending offboarding request", () => {
  it("status shows the pending request and when it runs; cancel-offboarding stops it and changes nothing else", async () => {
    await onboardThroughSalesforce("sf-ops-1");
    await sendProviderDelivery(
      salesforceDelivery([salesforceNotification("sf-ops-1", "Churned", new Date())]),
    );
    const [request] = requestsFor("sf-ops-1");
    const runAt = JSON.parse(stack.engine.describeExecution(request!.executionArn!).input!).runAt as string;

    // One status run (each ops run takes seconds here): the pending request, its execution and when it runs.
    const status = await ops("status", "sf-ops-1");
    expect(status.code, status.stderr).toBe(0);
    const section = status.stdout.slice(status.stdout.indexOf("Offboarding request (pending)"));
    expect(section).toContain(request!.name!);
    expect(section).toMatch(new RegExp(`runs at\\s+${runAt.slice(0, 16)}`));
    expect(section).toContain("unless cancelled (ops cancel-offboarding)");

    const cancelled = await ops("cancel-offboarding", "sf-ops-1");
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect((await stack.engine.waitForExecution(request!.executionArn!)).status).toBe("ABORTED");
    expect((await store.getPractice("sf-ops-1"))?.status).toBe("ACTIVE");
    expect(offboardingsOf("sf-ops-1")).toEqual([]);

    const again = await ops("cancel-offboarding", "sf-ops-1");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no pending offboarding request for sf-ops-1");
  }, 90_000);

  it("approve-offboarding offboards now and closes the request; a bad practice id is a usage error", async () => {
    await onboardThroughSalesforce("sf-ops-2");
    await sendProviderDelivery(
      salesforceDelivery([salesforceNotification("sf-ops-2", "Churned", new Date())]),
    );
    const [request] = requestsFor("sf-ops-2");
    const approved = await ops("approve-offboarding", "sf-ops-2");
    expect(approved.code, approved.stderr).toBe(0);
    expect((await stack.engine.waitForExecution(request!.executionArn!)).status).toBe("ABORTED");
    const [offboarding] = offboardingsOf("sf-ops-2");
    expect((await stack.engine.waitForExecution(offboarding!.executionArn!)).status).toBe("SUCCEEDED");
    await stack.executionStatusEvents.idle();
    expect((await store.getPractice("sf-ops-2"))?.status).toBe("OFFBOARDED");

    const bad = await ops("approve-offboarding", "no spaces allowed");
    expect(bad.code).toBe(2);
  }, 90_000);
});

describe("Salesforce", () => {
  it("a 'Churned' notification is Acked, pends for the grace period, then offboards", async () => {
    await onboardThroughSalesforce("sf-churn-1");
    const churned = await sendProviderDelivery(
      salesforceDelivery([salesforceNotification("sf-churn-1", "Churned", new Date())]),
    );
    expect(churned.status).toBe(200);
    expect(String(churned.body)).toContain("<Ack>true</Ack>");
    const [request] = requestsFor("sf-churn-1");
    expect(request?.status).toBe("RUNNING");
    expect((await store.getPractice("sf-churn-1"))?.status).toBe("ACTIVE");

    expect((await stack.engine.waitForExecution(request!.executionArn!)).status).toBe("SUCCEEDED");
    const [offboarding] = offboardingsOf("sf-churn-1");
    expect((await stack.engine.waitForExecution(offboarding!.executionArn!)).status).toBe("SUCCEEDED");
    await stack.executionStatusEvents.idle();
    expect((await store.getPractice("sf-churn-1"))?.status).toBe("OFFBOARDED");
  }, 60_000);

  it("a 'Won Back' notification during the grace period cancels the pending offboarding", async () => {
    await onboardThroughSalesforce("sf-winback-1");
    const churnedAt = new Date();
    await sendProviderDelivery(
      salesforceDelivery([salesforceNotification("sf-winback-1", "Churned", churnedAt)]),
    );
    const [request] = requestsFor("sf-winback-1");
    expect(request?.status).toBe("RUNNING");

    const wonBack = await sendProviderDelivery(
      salesforceDelivery([
        salesforceNotification("sf-winback-1", "Won Back", new Date(churnedAt.getTime() + 1000)),
      ]),
    );
    expect(wonBack.status).toBe(200);
    expect(String(wonBack.body)).toContain("<Ack>true</Ack>");
    expect((await stack.engine.waitForExecution(request!.executionArn!)).status).toBe("ABORTED");
    expect((await store.getPractice("sf-winback-1"))?.status).toBe("ACTIVE");
    expect(offboardingsOf("sf-winback-1")).toEqual([]);
  }, 60_000);

  it("a 'Churned' redelivered under a new notification id after a 'Won Back' does not offboard the won-back practice", async () => {
    await onboardThroughSalesforce("sf-winback-3");
    const churnedAt = new Date();
    await sendProviderDelivery(
      salesforceDelivery([salesforceNotification("sf-winback-3", "Churned", churnedAt)]),
    );
    await sendProviderDelivery(
      salesforceDelivery([
        salesforceNotification("sf-winback-3", "Won Back", new Date(churnedAt.getTime() + 1000)),
      ]),
    );
    // Salesforce retries an unacknowledged message with a new notification id: the same churn, issued before
    // the win-back, arrives again after it.
    const redelivered = await sendProviderDelivery(
      salesforceDelivery([salesforceNotification("sf-winback-3", "Churned", churnedAt)]),
    );
    expect(redelivered.status).toBe(200);
    for (const request of requestsFor("sf-winback-3"))
      await stack.engine.waitForExecution(request.executionArn!);
    for (const offboarding of offboardingsOf("sf-winback-3"))
      await stack.engine.waitForExecution(offboarding.executionArn!);
    await stack.executionStatusEvents.idle();
    expect((await store.getPractice("sf-winback-3"))?.status).toBe("ACTIVE");
    expect(offboardingsOf("sf-winback-3")).toEqual([]);
  }, 90_000);

  it("a 'Won Back' the CRM issued before the churn cancels nothing (the ordering rule)", async () => {
    await onboardThroughSalesforce("sf-winback-2");
    const churnedAt = new Date();
    await sendProviderDelivery(
      salesforceDelivery([salesforceNotification("sf-winback-2", "Churned", churnedAt)]),
    );
    const stale = await sendProviderDelivery(
      salesforceDelivery([
        salesforceNotification("sf-winback-2", "Won Back", new Date(churnedAt.getTime() - 60_000)),
      ]),
    );
    expect(stale.status).toBe(200);
    const [request] = requestsFor("sf-winback-2");
    expect(request?.status).toBe("RUNNING");
    const cancelled = await ops("cancel-offboarding", "sf-winback-2");
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect((await stack.engine.waitForExecution(request!.executionArn!)).status).toBe("ABORTED");
  }, 60_000);

  it("hostile input (XXE, entity expansion, oversized, wrong content type, token, org) gets a 4xx and changes nothing", async () => {
    const before = executionCounts();
    const genuine = salesforceDelivery([salesforceNotification("sf-hostile-1", "Active", new Date())]);
    const withDoctype = (doctype: string) => ({
      ...genuine,
      body: genuine.body.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<?xml version="1.0" encoding="UTF-8"?>${doctype}`,
      ),
    });
    const cases: [string, SampleDelivery, number][] = [
      [
        "external entity (XXE)",
        {
          ...withDoctype('<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
        },
        400,
      ],
      [
        "entity expansion",
        withDoctype(
          '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>',
        ),
        400,
      ],
      [
        "undeclared entity reference",
        { ...genuine, body: genuine.body.replace("sf-hostile-1", "&xxe;") },
        400,
      ],
      ["oversized", { ...genuine, body: genuine.body.replace("sf-hostile-1", "x".repeat(600_000)) }, 413],
      [
        "wrong content type",
        { ...genuine, headers: { ...genuine.headers, "content-type": "application/json" } },
        415,
      ],
      ["wrong path token", { ...genuine, url: salesforceUrl("A".repeat(32)) }, 401],
      [
        "organization not allowed",
        salesforceDelivery([salesforceNotification("sf-hostile-1", "Active", new Date())], {
          organizationId: "00D000000000099",
        }),
        403,
      ],
    ];
    for (const [name, delivery, status] of cases) {
      const response = await sendProviderDelivery(delivery);
      expect({ name, status: response.status }).toEqual({ name, status });
      expect(String(response.body)).not.toContain(stack.crmProviderSecrets.salesforcePathTokens[0]!);
    }
    expect(executionCounts()).toEqual(before);
    expect(await store.getPractice("sf-hostile-1")).toBeUndefined();
  }, 60_000);
});
