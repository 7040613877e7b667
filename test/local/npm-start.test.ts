// The real `npm start`, as a newcomer runs it: ready line, a signed webhook onboarding a practice, a second start
// refused, SIGTERM leaving no process behind, a bad variable refused.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import { findFreePort } from "../../local/free-port.js";
import { generateWebhookSecret, type LocalEndpoints, STACK_OUTPUTS } from "../../local/local-stack.js";
import { sendCrmDelivery } from "../../local/signed-webhook.js";
import {
  descendants,
  isRunning,
  type NpmStart,
  runOpsLocal,
  spawnNpmStart,
  stopNpmStart,
  waitFor,
} from "../support/npm-start.js";

const START_TIMEOUT_MS = 180_000;

describe("npm start", () => {
  const webhookSecret = generateWebhookSecret();
  let port: number;
  let stack: NpmStart;
  let endpoints: LocalEndpoints;

  beforeAll(async () => {
    port = await findFreePort();
    stack = spawnNpmStart({ LOCAL_PORT: String(port), WEBHOOK_SECRET: webhookSecret });
    endpoints = await stack.ready();
  }, START_TIMEOUT_MS);
  afterAll(() => stopNpmStart(stack));

  it("prints the webhook URL and the ready line, and writes endpoints.json for ops --local", () => {
    expect(stack.output.stdout).toContain(`POST http://127.0.0.1:${port}/webhooks/crm`);
    expect(endpoints.httpApiUrl).toBe(`http://127.0.0.1:${port}`);
    expect(endpoints.outputs[STACK_OUTPUTS.webhookUrl]).toBe(`http://127.0.0.1:${port}/webhooks/crm`);
    expect(endpoints.simulatorOrigin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(isRunning(endpoints.pid)).toBe(true);
    expect(endpoints.dynamoDbPid && isRunning(endpoints.dynamoDbPid)).toBe(true);
  });

  it("onboards a practice from a signed webhook sent over HTTP, ACTIVE through npm run ops -- --local status", async () => {
    const response = await sendCrmDelivery(endpoints.outputs[STACK_OUTPUTS.webhookUrl]!, webhookSecret, {
      practiceId: "npm-start-001",
      devRefId: "Sarah's Super Dental",
    });
    expect(response.status).toBe(202);

    const status = await waitFor("ops status to say ACTIVE", async () => {
      // The key administrator sees the live portal view (the operator gets the record and a line saying so).
      const run = await runOpsLocal(stack.stateDir, [
        "--local-role",
        "key-administrator",
        "status",
        "npm-start-001",
        "--json",
      ]);
      if (run.code !== 0) return undefined;
      const shown = JSON.parse(run.stdout) as {
        practice: PracticeRecord;
        portal: { key: { keyStatus: string; devRefId: string } };
      };
      return shown.practice.status === "ACTIVE" ? shown : undefined;
    });

    expect(status.practice).toMatchObject({
      practiceId: "npm-start-001",
      devRefId: "Sarah's Super Dental",
      status: "ACTIVE",
      maskedKey: expect.stringMatching(/^…[A-Z0-9]{4} #[0-9a-f]{6}$/),
    });
    expect(status.portal.key).toMatchObject({ keyStatus: "Enabled", devRefId: "Sarah's Super Dental" });
  });

  it("prints one line per finished execution and keeps the functions' logs in lambda.log, not on the terminal", async () => {
    const response = await sendCrmDelivery(endpoints.outputs[STACK_OUTPUTS.webhookUrl]!, webhookSecret, {
      practiceId: "npm-start-002",
    });
    const executionName = `crm-${response.webhookId}`;

    await waitFor("the execution's line on the terminal", () =>
      stack.output.stdout.includes(`Onboarding ${executionName} SUCCEEDED`),
    );

    const logLines = readFileSync(path.join(stack.stateDir, "lambda.log"), "utf8").split("\n");
    expect(logLines.filter((line) => line.includes(executionName)).length).toBeGreaterThan(0);
    expect(stack.output.stdout).not.toContain('"level":');
    expect(stack.output.stdout).not.toContain("CloudWatchMetrics");
    expect(stack.output.stdout).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d  PracticeOnboarding-Onboarding ${executionName} SUCCEEDED$`, "m"),
    );
  });

  it("refuses a second npm start from the same state directory with exit 2 and says one is running", async () => {
    const second = spawnNpmStart({
      LOCAL_PORT: String(await findFreePort()),
      PRACTICE_ONBOARDING_STATE_DIR: stack.stateDir,
    });

    expect(await second.exited()).toBe(2);
    expect(second.output.stderr).toContain(
      `npm start: A local stack is already running (pid ${endpoints.pid}, webhook http://127.0.0.1:${port}/webhooks/crm).`,
    );
  });

  it("refuses a second npm start on the same LOCAL_PORT with exit 2 before starting anything", async () => {
    const second = spawnNpmStart({ LOCAL_PORT: String(port) });

    expect(await second.exited()).toBe(2);
    expect(second.output.stderr).toContain(
      `npm start: LOCAL_PORT ${port} is already in use (another npm start, or another program): set LOCAL_PORT to a free port`,
    );
    expect(second.output.stdout).not.toContain("Starting DynamoDB Local");
  });

  it("stops on SIGTERM to npm, leaving no process behind (the DynamoDB Local JVM included)", async () => {
    const owned = descendants(stack.child.pid!);
    expect(owned).toContain(endpoints.pid);
    expect(owned).toContain(endpoints.dynamoDbPid);

    stack.child.kill("SIGTERM");

    expect(await stack.exited()).toBe(0);
    expect(stack.output.stdout).toContain("SIGTERM: stopping the local stack…\nStopped.\n");
    // The JVM and esbuild's service are reaped by their parents a moment after npm has returned.
    await waitFor(
      "every process npm start owned to end",
      () => owned.every((pid) => !isRunning(pid)),
      10_000,
    );
    expect(owned.filter(isRunning)).toEqual([]);
    expect(existsSync(path.join(stack.stateDir, "endpoints.json"))).toBe(false);
  });
});

describe("npm start with a bad variable", () => {
  it("exits 2 naming LOCAL_PORT when it is not a port number", async () => {
    const started = spawnNpmStart({ LOCAL_PORT: "http" });

    expect(await started.exited()).toBe(2);
    expect(started.output.stderr).toContain(
      'npm start: LOCAL_PORT must be a port number from 1 to 65535, got "http"',
    );
  });
});
