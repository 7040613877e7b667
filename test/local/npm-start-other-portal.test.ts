// `npm start` with OPEN_DENTAL_BASE_URL pointing at another portal (a separately started simulator with other
// credentials): the stack uses it, and the built-in simulator is not started.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../../local/free-port.js";
import { generateWebhookSecret, type LocalEndpoints, STACK_OUTPUTS } from "../../local/local-stack.js";
import { type PortalSimulator, startPortalSimulator } from "../../local/portal-simulator.js";
import { sendCrmDelivery } from "../../local/signed-webhook.js";
import {
  listeningPorts,
  type NpmStart,
  spawnNpmStart,
  stopNpmStart,
  waitUntilActive,
} from "../support/npm-start.js";

describe("npm start with OPEN_DENTAL_BASE_URL", () => {
  const otherCredentials = { developerKey: "OTHERDEVKEY0001", developerPortalKey: "OTHERPORTALKEY01" };
  const webhookSecret = generateWebhookSecret();
  let portal: PortalSimulator;
  let stack: NpmStart;
  let endpoints: LocalEndpoints;

  beforeAll(async () => {
    portal = await startPortalSimulator({ credentials: otherCredentials });
    stack = spawnNpmStart({
      LOCAL_PORT: String(await findFreePort()),
      WEBHOOK_SECRET: webhookSecret,
      OPEN_DENTAL_BASE_URL: portal.url,
      OPEN_DENTAL_DEVELOPER_KEY: otherCredentials.developerKey,
      OPEN_DENTAL_DEVELOPER_PORTAL_KEY: otherCredentials.developerPortalKey,
    });
    endpoints = await stack.ready();
  }, 180_000);
  afterAll(async () => {
    await stopNpmStart(stack);
    await portal?.stop();
  });

  it("does not start the built-in simulator: the stack listens only on its HTTP API, AWS endpoint and DynamoDB authorizing proxy", () => {
    expect(endpoints.simulatorOrigin).toBeNull();
    expect(endpoints.portalBaseUrl).toBe(portal.url);
    expect(stack.output.stdout).not.toContain("built-in simulator");
    expect(listeningPorts(endpoints.pid)).toEqual(
      [
        Number(new URL(endpoints.httpApiUrl).port),
        Number(new URL(endpoints.awsEndpoint).port),
        // IAM enforcement: DynamoDB calls go through the stack's authorizing proxy in front of DynamoDB Local.
        Number(new URL(endpoints.dynamoDbEndpoint).port),
      ].sort((a, b) => a - b),
    );
  });

  it("creates and labels the practice's key in that portal, with its credentials", async () => {
    await sendCrmDelivery(endpoints.outputs[STACK_OUTPUTS.webhookUrl]!, webhookSecret, {
      practiceId: "elsewhere-001",
    });

    const practice = await waitUntilActive(endpoints, "elsewhere-001");

    expect(portal.keys().map((key) => ({ status: key.KeyStatus, devRefId: key.DevRefId }))).toEqual([
      { status: "Enabled", devRefId: "elsewhere-001" },
    ]);
    // The masked form `…W2HD #3f9a1c` shows the key's last 4 characters.
    expect(practice.maskedKey!.slice(1, 5)).toBe(portal.keys()[0]!.CustomerKey.slice(-4));
    expect(portal.calls().map((call) => `${call.method} ${call.status}`)).toEqual(["POST 201", "PUT 200"]);
  });
});
