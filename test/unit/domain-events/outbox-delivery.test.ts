// Delivery of outbox stream records to PutEvents, against Lambda's documented partial-batch semantics: the
// first reported itemIdentifier is where the retry starts; records before it count as processed.
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { deliverOutboxRecords, outboxEntryOf } from "../../../functions/domain-events/outbox-delivery.js";

function outboxRecord(seq: number, detail: object = { n: seq }, eventName = "INSERT"): DynamoDBRecord {
  return {
    eventName: eventName as DynamoDBRecord["eventName"],
    dynamodb: {
      SequenceNumber: String(seq),
      Keys: { pk: { S: `OUTBOX#event-${seq}` }, sk: { S: "OUTBOX" } },
      NewImage: {
        pk: { S: `OUTBOX#event-${seq}` },
        outboxEntry: {
          S: JSON.stringify({
            Source: "practice-onboarding",
            DetailType: "PracticeOnboarded",
            Detail: JSON.stringify(detail),
            Time: "2025-03-04T05:06:07.000Z",
          }),
        },
      },
    },
  };
}

function otherRecord(seq: number): DynamoDBRecord {
  return {
    eventName: "MODIFY",
    dynamodb: {
      SequenceNumber: String(seq),
      Keys: { pk: { S: "PRACTICE#p1" }, sk: { S: "PRACTICE" } },
      NewImage: { pk: { S: "PRACTICE#p1" } },
    },
  };
}

function bus(refuse: (entry: PutEventsRequestEntry, call: number) => boolean = () => false) {
  const sent: PutEventsRequestEntry[][] = [];
  return {
    sent,
    putEvents: async (entries: PutEventsRequestEntry[]) => {
      sent.push(entries);
      const call = sent.length;
      return {
        Entries: entries.map((entry, i) =>
          refuse(entry, call)
            ? { ErrorCode: "InternalFailure", ErrorMessage: "boom" }
            : { EventId: `id-${call}-${i}` },
        ),
      };
    },
  };
}

describe("deliverOutboxRecords", () => {
  it("puts every outbox item on the bus in stream order, ten per call, and skips other items", async () => {
    const records = [otherRecord(1), ...Array.from({ length: 12 }, (_, i) => outboxRecord(i + 2))];
    const target = bus();
    const result = await deliverOutboxRecords(records, { eventBusName: "bus", putEvents: target.putEvents });
    expect(result).toEqual({ delivered: 12, batchItemFailures: [] });
    expect(target.sent.map((call) => call.length)).toEqual([10, 2]);
    expect(target.sent.flat().map((entry) => JSON.parse(entry.Detail!).n)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 2),
    );
    expect(target.sent[0]![0]).toMatchObject({
      EventBusName: "bus",
      Source: "practice-onboarding",
      DetailType: "PracticeOnboarded",
      Time: new Date("2025-03-04T05:06:07.000Z"),
    });
  });

  it("passes the detail through untouched, whatever fields it has (schema changes never touch delivery)", async () => {
    const detail = { eventId: "e", anything: { nested: [1, "two"] }, maskedKey: "…WXYZ #0c4d5e" };
    const target = bus();
    await deliverOutboxRecords([outboxRecord(1, detail)], {
      eventBusName: "bus",
      putEvents: target.putEvents,
    });
    expect(JSON.parse(target.sent[0]![0]!.Detail!)).toEqual(detail);
  });

  it("reports the first refused entry's sequence number and sends nothing after its call", async () => {
    const target = bus((entry) => JSON.parse(entry.Detail!).n === 4);
    const records = Array.from({ length: 15 }, (_, i) => outboxRecord(i + 1));
    const result = await deliverOutboxRecords(records, { eventBusName: "bus", putEvents: target.putEvents });
    expect(result).toEqual({ delivered: 3, batchItemFailures: [{ itemIdentifier: "4" }] });
    expect(target.sent).toHaveLength(1);
  });

  it("reports the call's first record when PutEvents itself fails", async () => {
    const failures: string[] = [];
    const result = await deliverOutboxRecords([outboxRecord(7), outboxRecord(8)], {
      eventBusName: "bus",
      putEvents: async () => {
        throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
      },
      onFailure: ({ reason }) => failures.push(reason),
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "7" }]);
    expect(failures).toEqual(["PutEvents failed: TimeoutError: socket hang up"]);
  });

  it("ignores TTL removals of delivered outbox items", () => {
    expect(outboxEntryOf(outboxRecord(1, {}, "REMOVE"))).toBeUndefined();
  });

  it("delivers what came before a malformed outbox item, then reports that item", async () => {
    const broken = outboxRecord(3);
    broken.dynamodb!.NewImage!.outboxEntry = { S: "{not json" };
    const target = bus();
    const result = await deliverOutboxRecords([outboxRecord(1), outboxRecord(2), broken, outboxRecord(4)], {
      eventBusName: "bus",
      putEvents: target.putEvents,
    });
    expect(result).toEqual({ delivered: 2, batchItemFailures: [{ itemIdentifier: "3" }] });
  });
});
