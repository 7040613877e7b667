// The publisher with its real sinks: the EventBridge SDK client against an AWS JSON endpoint, and a file on disk.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../../contracts/metric-names.js";
import {
  createDomainEventPublisher,
  type DomainEventInput,
  type DomainEventSink,
  domainEventId,
  domainEventSinkFromEnv,
  eventBridgeSink,
  jsonLinesFileSink,
  publishDomainEvent,
  resetDomainEventPublisher,
} from "../../../functions/domain-events/domain-events.js";
import { eventMaskedKey, eventText } from "../../../functions/domain-events/event-fields.js";
import { captureProcessOutput } from "../../support/captured-output.js";
import { emittedMetrics } from "../../support/emf-records.js";
import { FakeAwsJsonEndpoint } from "../../support/fake-aws-json-endpoint.js";

const KEY = "QJXZR4PNK5B8W2HD";
const BUS = "practice-onboarding-events";
const AT = "2025-03-04T05:06:07.000Z";

const onboarded: DomainEventInput = {
  type: "PracticeOnboarded",
  executionName: "crm-msg_1",
  occurredAt: AT,
  practiceId: "practice-42",
  devRefId: "Smile Dental #42",
  maskedKey: eventMaskedKey("…W2HD #3f9a1c"),
  keyOrigin: "created",
};

const expectedDetail = {
  schemaVersion: "1",
  eventId: domainEventId("PracticeOnboarded", "crm-msg_1"),
  occurredAt: AT,
  executionName: "crm-msg_1",
  practiceId: "practice-42",
  devRefId: "Smile Dental #42",
  maskedKey: "…W2HD #3f9a1c",
  keyOrigin: "created",
};

const endpoint = new FakeAwsJsonEndpoint();
const output = captureProcessOutput();
let dir: string;

beforeAll(async () => {
  await endpoint.start();
});

afterAll(async () => {
  await endpoint.stop();
});

beforeEach(async () => {
  endpoint.reset();
  dir = await mkdtemp(join(tmpdir(), "domain-events-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function eventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient({
    endpoint: endpoint.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

function publisherWith(sink: DomainEventSink) {
  return createDomainEventPublisher({
    sink,
    logger: new Logger({ serviceName: SERVICE_NAME }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
  });
}

function metricStreams() {
  return emittedMetrics(output.records()).map(({ name, value, dimensions }) => ({ name, value, dimensions }));
}

function failureOf(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: Error) => ({ name: error.name, message: error.message }),
  );
}

describe("domain event publisher on EventBridge", () => {
  it("puts one entry on the bus with source, detail-type, time and the JSON detail", async () => {
    await publisherWith(eventBridgeSink(eventBridgeClient(), BUS))(onboarded);

    expect(endpoint.putEvents).toEqual([
      {
        EventBusName: BUS,
        Source: "practice-onboarding",
        DetailType: "PracticeOnboarded",
        Detail: JSON.stringify(expectedDetail),
        Time: Date.parse(AT) / 1000,
      },
    ]);
  });

  it("counts a published event under [service] and [service, EventType]", async () => {
    await publisherWith(eventBridgeSink(eventBridgeClient(), BUS))(onboarded);

    expect(metricStreams()).toEqual([
      { name: "DomainEventPublished", value: 1, dimensions: { service: SERVICE_NAME } },
      {
        name: "DomainEventPublished",
        value: 1,
        dimensions: { service: SERVICE_NAME, EventType: "PracticeOnboarded" },
      },
    ]);
  });

  it("fails retryably, logs and counts when EventBridge refuses the entry", async () => {
    endpoint.putEventsEntryError = { ErrorCode: "InternalFailure", ErrorMessage: "try again" };

    const failure = await failureOf(publisherWith(eventBridgeSink(eventBridgeClient(), BUS))(onboarded));

    expect(failure).toEqual({
      name: "DomainEventPublishFailed",
      message: `PutEvents of PracticeOnboarded ${expectedDetail.eventId} to ${BUS} failed: entry refused: InternalFailure: try again`,
    });
    expect(metricStreams()).toEqual([
      { name: "DomainEventPublishFailed", value: 1, dimensions: { service: SERVICE_NAME } },
      {
        name: "DomainEventPublishFailed",
        value: 1,
        dimensions: { service: SERVICE_NAME, EventType: "PracticeOnboarded" },
      },
    ]);
    expect(output.records().filter((record) => record.level === "ERROR")).toEqual([
      expect.objectContaining({
        message: "Domain event not published",
        eventType: "PracticeOnboarded",
        sink: `eventbridge:${BUS}`,
        error: { name: "DomainEventPublishFailed", message: failure.message },
      }),
    ]);
  });

  it("fails retryably when the EventBridge call itself fails", async () => {
    endpoint.failNext("AWSEvents.PutEvents", { statusCode: 500, type: "InternalException", message: "down" });

    const failure = await failureOf(publisherWith(eventBridgeSink(eventBridgeClient(), BUS))(onboarded));

    expect(failure).toEqual({
      name: "DomainEventPublishFailed",
      message: `PutEvents of PracticeOnboarded ${expectedDetail.eventId} to ${BUS} failed: InternalException: down`,
    });
  });

  it("publishes a label shaped like a key: it is the CRM's label, never refused", async () => {
    const event = await publisherWith(eventBridgeSink(eventBridgeClient(), BUS))({
      ...onboarded,
      practiceId: "DENTALPRACTICE01",
      devRefId: "DENTALPRACTICE01",
    });

    expect(event.detail).toMatchObject({ practiceId: "DENTALPRACTICE01", devRefId: "DENTALPRACTICE01" });
    expect(endpoint.callsTo("AWSEvents.PutEvents")).toHaveLength(1);
    expect(metricStreams().map((metric) => metric.name)).toEqual([
      "DomainEventPublished",
      "DomainEventPublished",
    ]);
  });

  it("masks a key in free text it is handed as JSON, and publishes", async () => {
    const event = await publisherWith(eventBridgeSink(eventBridgeClient(), BUS))(
      JSON.parse(
        JSON.stringify({
          type: "PracticeOnboardingFailed",
          executionName: "crm-msg_2",
          practiceId: "practice-42",
          reason: "PortalRejected",
          message: `PUT /apikeys: 400 CustomerKey ${KEY} is DisabledByHQ`,
        }),
      ),
    );

    expect(event.detail).toMatchObject({
      message: "PUT /apikeys: 400 CustomerKey …W2HD is DisabledByHQ",
    });
    expect(JSON.stringify(endpoint.callsTo("AWSEvents.PutEvents"))).not.toContain(KEY);
  });
});

describe("domain event publisher on a JSON-lines file", () => {
  it("appends one EventBridge-shaped line per event, creating the directory", async () => {
    const file = join(dir, ".local", "events.jsonl");
    const publish = publisherWith(jsonLinesFileSink(file));

    await publish(onboarded);
    await publish({
      type: "PracticeOffboarded",
      executionName: "ops-offboard-1",
      occurredAt: "2025-03-05T00:00:00.000Z",
      practiceId: "practice-42",
      devRefId: "Smile Dental #42",
      maskedKey: eventMaskedKey("…W2HD #3f9a1c"),
      reason: eventText("churned"),
    });

    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines.map((line) => (line ? JSON.parse(line) : line))).toEqual([
      {
        version: "0",
        id: expectedDetail.eventId,
        "detail-type": "PracticeOnboarded",
        source: "practice-onboarding",
        time: "2025-03-04T05:06:07Z",
        detail: expectedDetail,
      },
      {
        version: "0",
        id: domainEventId("PracticeOffboarded", "ops-offboard-1"),
        "detail-type": "PracticeOffboarded",
        source: "practice-onboarding",
        time: "2025-03-05T00:00:00Z",
        detail: {
          schemaVersion: "1",
          eventId: domainEventId("PracticeOffboarded", "ops-offboard-1"),
          occurredAt: "2025-03-05T00:00:00.000Z",
          executionName: "ops-offboard-1",
          practiceId: "practice-42",
          devRefId: "Smile Dental #42",
          maskedKey: "…W2HD #3f9a1c",
          reason: "churned",
        },
      },
      "",
    ]);
  });

  it("fails retryably when the file cannot be written", async () => {
    const blocked = join(dir, "not-a-directory");
    await writeFile(blocked, "a file where a directory is needed");

    const failure = await failureOf(
      publisherWith(jsonLinesFileSink(join(blocked, "events.jsonl")))(onboarded),
    );

    expect(failure.name).toBe("DomainEventPublishFailed");
    expect(failure.message).toMatch(
      new RegExp(
        `^Appending PracticeOnboarded ${expectedDetail.eventId} to ${blocked}/events.jsonl failed: `,
      ),
    );
  });
});

describe("domainEventSinkFromEnv", () => {
  it("writes to LOCAL_EVENTS_FILE when it is set, even with a bus configured", () => {
    const sink = domainEventSinkFromEnv({ LOCAL_EVENTS_FILE: ".local/events.jsonl", EVENT_BUS_NAME: BUS });

    expect(sink.description).toBe("file:.local/events.jsonl");
  });

  it("puts on EVENT_BUS_NAME otherwise", () => {
    expect(domainEventSinkFromEnv({ EVENT_BUS_NAME: BUS }, eventBridgeClient).description).toBe(
      `eventbridge:${BUS}`,
    );
  });

  it("names the missing variable when neither is set", () => {
    expect(() => domainEventSinkFromEnv({})).toThrow(
      "environment variable EVENT_BUS_NAME is not set (or set LOCAL_EVENTS_FILE to write events to a file)",
    );
  });
});

describe("publishDomainEvent", () => {
  afterEach(() => {
    delete process.env.LOCAL_EVENTS_FILE;
    resetDomainEventPublisher();
  });

  it("uses the sink the environment names", async () => {
    process.env.LOCAL_EVENTS_FILE = join(dir, "events.jsonl");

    const event = await publishDomainEvent(onboarded);

    const [line] = (await readFile(join(dir, "events.jsonl"), "utf8")).trim().split("\n");
    expect(JSON.parse(line!).detail).toEqual(event.detail);
  });
});
