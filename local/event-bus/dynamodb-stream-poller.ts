// DynamoDB Local's table stream, fed to a stream handler as Lambda's event source mapping feeds it on AWS
// (lib/domain-event-outbox.ts): batches in shard order, a partial batch response retried from the first failed
// record with backoff, a batch still failing after `maxRetries` written to a dead-letter file and skipped.
// Reads through the SDK's DynamoDB Streams client (DescribeStream, GetShardIterator, GetRecords).
import { appendFileSync } from "node:fs";
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";

export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  /** Records per invocation (the mapping's BatchSize). @default 100 */
  readonly batchSize?: number;
  /** Retries of a failing batch before it goes to the dead-letter file. @default 10 */
  readonly maxRetries?: number;
  /** JSON lines describing batches given up on (as the mapping's on-failure destination would). */
  readonly deadLetterFile: string;
  /** @default 100 */
  readonly idlePollMs?: number;
  readonly log?: (line: string) => void;
}

export interface StreamPoller {
  /** Waits until every record written so far has been handed to the handler (tests, the bench, chaos). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts reading every shard from now on (LATEST): start it before anything writes. */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const batchSize = options.batchSize ?? 100;
  const maxRetries = options.maxRetries ?? 10;
  const idlePollMs = options.idlePollMs ?? 100;
  const { client, streamArn } = options;
  const iterators = new Map<string, string | undefined>();
  const started = new Set<string>();
  let stopped = false;
  let busy = false;
  let lastEmptyAt = 0;

  const discoverShards = async (initial: boolean) => {
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId!;
      if (started.has(shardId)) continue;
      // New shards after the start (a rolled-over shard's children) are read from their beginning.
      const open = shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
      if (initial && !open) {
        started.add(shardId);
        continue;
      }
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: initial ? "LATEST" : "TRIM_HORIZON",
        }),
      );
      started.add(shardId);
      iterators.set(shardId, ShardIterator);
    }
  };

  await discoverShards(true);

  const deliver = async (records: DynamoDBRecord[]) => {
    let pending = records;
    for (let attempt = 0; pending.length > 0; attempt++) {
      let failedFrom: string | undefined;
      try {
        const response = await options.handler({ Records: structuredClone(pending) });
        failedFrom = response?.batchItemFailures?.[0]?.itemIdentifier;
      } catch (error) {
        failedFrom = pending[0]!.dynamodb!.SequenceNumber;
        options.log?.(`stream handler failed: ${(error as Error).message}`);
      }
      if (failedFrom === undefined) return;
      const index = pending.findIndex((record) => record.dynamodb?.SequenceNumber === failedFrom);
      pending = index < 0 ? pending : pending.slice(index);
      if (attempt >= maxRetries) {
        appendFileSync(
          options.deadLetterFile,
          `${JSON.stringify({
            streamArn,
            firstSequenceNumber: pending[0]?.dynamodb?.SequenceNumber,
            lastSequenceNumber: pending.at(-1)?.dynamodb?.SequenceNumber,
            batchSize: pending.length,
            at: new Date().toISOString(),
          })}\n`,
        );
        options.log?.(`stream batch of ${pending.length} record(s) given up after ${maxRetries} retries`);
        return;
      }
      await sleep(Math.min(5_000, 200 * 2 ** attempt));
    }
  };

  const pollOnce = async (): Promise<boolean> => {
    let any = false;
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const { Records, NextShardIterator } = await client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }),
      );
      iterators.set(shardId, NextShardIterator);
      if (!NextShardIterator) await discoverShards(false);
      if (Records && Records.length > 0) {
        any = true;
        await deliver(Records.map(lambdaRecord(streamArn)));
      }
    }
    return any;
  };

  const loop = (async () => {
    while (!stopped) {
      busy = true;
      let any = false;
      try {
        any = await pollOnce();
      } catch (error) {
        if (!stopped) options.log?.(`stream poll failed: ${(error as Error).message}`);
      }
      busy = false;
      if (!any) {
        lastEmptyAt = Date.now();
        await sleep(idlePollMs);
      }
    }
  })();

  return {
    async drain(timeoutMs = 60_000) {
      const askedAt = Date.now();
      while (!(lastEmptyAt > askedAt && !busy)) {
        if (Date.now() - askedAt > timeoutMs) throw new Error("the stream was not drained in time");
        await sleep(idlePollMs);
      }
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** A Streams API record in the shape Lambda hands a stream-triggered function. */
function lambdaRecord(streamArn: string) {
  return (record: StreamRecord): DynamoDBRecord => {
    const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
    return {
      eventID: record.eventID,
      eventName: record.eventName as DynamoDBRecord["eventName"],
      eventVersion: record.eventVersion,
      eventSource: "aws:dynamodb",
      awsRegion: record.awsRegion,
      eventSourceARN: streamArn,
      dynamodb: {
        ...(dynamodb as DynamoDBRecord["dynamodb"]),
        ...(ApproximateCreationDateTime
          ? { ApproximateCreationDateTime: ApproximateCreationDateTime.getTime() / 1000 }
          : {}),
      },
    };
  };
}
