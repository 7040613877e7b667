// The outbox end to end on real parts: items written in DynamoDB Local transactions, its stream read through the
// SDK's DynamoDB Streams client, the delivery Lambda module, and PutEvents on the local AWS JSON endpoint — which
// refuses 20% of entries. Every recorded event arrives (duplicates only with the same eventId), nothing else does.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDomainEvent } from "../../../functions/domain-events/domain-events.js";
import { outboxEntry } from "../../../functions/domain-events/outbox-message.js";
import { handler } from "../../../functions/domain-events/outbox-stream-handler.js";
import { outboxPut } from "../../../functions/practice/outbox-writes.js";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "../../../local/aws-json-endpoint.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/dynamodb-local.js";
import { type StreamPoller, startStreamPoller } from "../../../local/event-bus/dynamodb-stream-poller.js";
import { createLocalEventBus, type LocalEventBus } from "../../../local/event-bus/local-event-bus.js";
import { LocalSecretStore } from "../../../local/local-secret-store.js";
import { LocalWorkflowEngine } from "../../../local/workflow-engine.js";
import { createTestDocumentTable, type TestDocumentTable } from "../../support/document-client.js";

let table: TestDocumentTable;
let endpoint: LocalAwsEndpoint;
let eventBus: LocalEventBus;
let poller: StreamPoller;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  table = await createTestDocumentTable();
  dir = mkdtempSync(path.join(tmpdir(), "outbox-"));
  eventBus = createLocalEventBus({
    eventsFile: path.join(dir, "events.jsonl"),
    region: LOCAL_REGION,
    account: "000000000000",
    seed: 7,
  });
  endpoint = await startLocalAwsEndpoint({
    engine: new LocalWorkflowEngine({ templates: [] }),
    secrets: LocalSecretStore.fromTemplates([]),
    services: [eventBus.service],
  });
  Object.assign(process.env, {
    EVENT_BUS_NAME: "practice-events",
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint.url,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  const { Table } = await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));
  poller = await startStreamPoller({
    client: new DynamoDBStreamsClient({
      endpoint: table.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
    streamArn: Table!.LatestStreamArn!,
    handler,
    deadLetterFile: path.join(dir, "outbox-dlq.jsonl"),
    idlePollMs: 50,
  });
}, 60_000);

afterAll(async () => {
  await poller?.stop();
  await endpoint?.close();
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

function onboarded(n: number) {
  return buildDomainEvent({
    type: "PracticeOnboarded",
    executionName: `crm-outbox-${n}`,
    practiceId: `practice-${n}`,
    devRefId: `Practice ${n}`,
    maskedKey: "…WXYZ #0c4d5e",
  });
}

describe("transactional outbox delivery (DynamoDB Local stream → handler → local bus)", () => {
  it("delivers every committed outcome's event at least once, with one eventId, and none of a cancelled one", async () => {
    eventBus.setFaults({ rejectFraction: 0.2 });
    const committed: string[] = [];
    for (let n = 0; n < 30; n++) {
      const event = onboarded(n);
      const outcome = {
        Put: {
          TableName: table.tableName,
          Item: { pk: `PRACTICE#practice-${n}`, sk: "PRACTICE", status: "ACTIVE" },
        },
      };
      // Every fifth outcome's transaction is cancelled by its condition: its event must never be published.
      const cancelled = n % 5 === 4;
      const write = table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            cancelled
              ? { ...outcome, Put: { ...outcome.Put, ConditionExpression: "attribute_exists(pk)" } }
              : outcome,
            outboxPut(
              table as never,
              { eventId: event.detail.eventId, entry: outboxEntry(event) },
              new Date(),
            ),
          ],
        }),
      );
      if (cancelled) await expect(write).rejects.toThrow();
      else {
        await write;
        committed.push(event.detail.eventId);
      }
    }
    await poller.drain(90_000);
    eventBus.setFaults({});
    const envelopes = readFileSync(eventBus.eventsFile, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: string; detail: { eventId: string } });
    const delivered = new Set(envelopes.map((envelope) => envelope.detail.eventId));
    expect([...delivered].sort()).toEqual([...committed].sort());
    expect(eventBus.stats().refused).toBeGreaterThan(0);
    // Each PutEvents entry gets its own EventBridge id; the same event's copies share detail.eventId.
    expect(new Set(envelopes.map((envelope) => envelope.id)).size).toBe(envelopes.length);
  }, 120_000);
});
