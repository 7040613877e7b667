// Issue 14, through the local stack's public interfaces: signed CRM webhooks, `ops --local`, and the portal
// simulator's control routes and faults. Each test is a lifecycle rule of docs/architecture.md §4 that broke
// under real CRM and portal behaviour.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { readEventsFile } from "../../local/events-file.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import { type CrmDeliveryRequest, sendCrmDelivery } from "../../local/signed-webhook.js";

let stack: LocalStack;
let stateDir: string;
let store: PracticeStore;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "lifecycle-"));
  const port = await findFreePort();
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(port), PORTAL_MAX_RPS: "50" }),
    stateDir,
    retryIntervalOverrides: 0,
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

/** Sends a signed delivery as the CRM does and, when it started an execution, waits for its end. */
async function deliver(request: CrmDeliveryRequest) {
  const response = await sendCrmDelivery(
    stack.endpoints.outputs[STACK_OUTPUTS.webhookUrl]!,
    stack.webhookSecret,
    request,
  );
  const executionArn = (response.body as { executionArn?: string }).executionArn;
  const execution = executionArn ? await stack.engine.waitForExecution(executionArn) : undefined;
  await stack.executionStatusEvents.idle();
  return { response, execution };
}

function eventsOf(practiceId: string) {
  return readEventsFile(stack.endpoints.eventsFile).filter((event) => event.detail.practiceId === practiceId);
}

describe("symptom 2: events are correct by construction", () => {
  it("onboards a practice whose id and label have a key's shape and publishes its PracticeOnboarded", async () => {
    const { response, execution } = await deliver({
      practiceId: "DENTALPRACTICE01",
      devRefId: "DENTALPRACTICE01",
    });

    expect(response.status).toBe(202);
    expect(execution?.status).toBe("SUCCEEDED");
    expect((await store.getPractice("DENTALPRACTICE01"))?.status).toBe("ACTIVE");
    expect(eventsOf("DENTALPRACTICE01").map((event) => [event["detail-type"], event.detail])).toEqual([
      [
        "PracticeOnboarded",
        expect.objectContaining({ practiceId: "DENTALPRACTICE01", devRefId: "DENTALPRACTICE01" }),
      ],
    ]);
  });
});
