// The template's DynamoDB stream event source mappings, run locally: each mapping's table stream (DynamoDB
// Local) is read by a poller and fed to the mapped function's handler, as that function (its role's grants
// apply to what the handler calls). Today that is the domain event outbox's delivery (lib/domain-event-outbox.ts).
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { OUTBOX_PK_PREFIX } from "../../contracts/domain-event-outbox.js";
import { PK } from "../../contracts/table-schema.js";
import { PROJECT_ROOT } from "../../lib/handler-function.js";
import { runAsFunction } from "../authorization/caller-identity.js";
import type { SynthesizedStack } from "../cloudformation-template.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../dynamodb-local.js";
import type { ExtractedFunction } from "../state-machine-extractor.js";
import { type StreamPoller, startStreamPoller } from "./dynamodb-stream-poller.js";

/** A mapping of the template: which function reads which table's stream. */
export interface StreamEventSource {
  readonly functionLogicalId: string;
  readonly tableLogicalId: string;
  readonly batchSize: number;
  readonly maximumRetryAttempts: number;
}

type Resource = { Type?: string; Properties?: Record<string, unknown> };

/** `Ref` or `Fn::GetAtt` of a logical id → the logical id. */
function logicalIdOf(value: unknown): string | undefined {
  const v = value as { Ref?: string; "Fn::GetAtt"?: [string, string] } | undefined;
  return v?.Ref ?? v?.["Fn::GetAtt"]?.[0];
}

export function streamEventSources(templates: readonly SynthesizedStack[]): StreamEventSource[] {
  const sources: StreamEventSource[] = [];
  for (const stack of templates) {
    const resources = (stack.template as { Resources?: Record<string, Resource> }).Resources ?? {};
    for (const resource of Object.values(resources)) {
      if (resource.Type !== "AWS::Lambda::EventSourceMapping") continue;
      const p = resource.Properties ?? {};
      const tableLogicalId = logicalIdOf(p.EventSourceArn);
      const functionLogicalId = logicalIdOf(p.FunctionName);
      if (!tableLogicalId || !functionLogicalId) continue;
      if (resources[tableLogicalId]?.Type !== "AWS::DynamoDB::Table") continue;
      sources.push({
        functionLogicalId,
        tableLogicalId,
        batchSize: Number(p.BatchSize ?? 100),
        maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? 10),
      });
    }
  }
  return sources;
}

/** The mapping's filter, as lib/domain-event-outbox.ts declares it: only outbox items reach the function. */
function passesFilter(record: DynamoDBRecord): boolean {
  if (record.eventName !== "INSERT" && record.eventName !== "MODIFY") return false;
  return record.dynamodb?.Keys?.[PK]?.S?.startsWith(OUTBOX_PK_PREFIX) === true;
}

export interface LocalStreamSources {
  /** Waits until everything written so far went through the mapped functions (tests, ops --wait). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts one poller per mapping. `dynamoDbEndpoint` is DynamoDB Local itself: reading the stream is Lambda's
 * service role's business, not the function's.
 */
export async function startStreamEventSources(options: {
  readonly templates: readonly SynthesizedStack[];
  readonly resourceNames: Readonly<Record<string, string>>;
  readonly functions: ReadonlyMap<string, ExtractedFunction>;
  readonly dynamoDb: DynamoDBClient;
  readonly dynamoDbEndpoint: string;
  readonly deadLetterFile: string;
  /** Pause between polls of an idle stream. @default 100 */
  readonly idlePollMs?: number;
  readonly log?: (line: string) => void;
}): Promise<LocalStreamSources> {
  const streams = new DynamoDBStreamsClient({
    endpoint: options.dynamoDbEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const pollers: StreamPoller[] = [];
  try {
    for (const source of streamEventSources(options.templates)) {
      const fn = options.functions.get(source.functionLogicalId);
      const tableName = options.resourceNames[source.tableLogicalId];
      if (!fn || !tableName) continue;
      const { Table } = await options.dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
      if (!Table?.LatestStreamArn) throw new Error(`table ${tableName} has no stream`);
      let handler: ((event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>) | undefined;
      pollers.push(
        await startStreamPoller({
          client: streams,
          streamArn: Table.LatestStreamArn,
          batchSize: source.batchSize,
          maxRetries: source.maximumRetryAttempts,
          deadLetterFile: options.deadLetterFile,
          ...(options.idlePollMs !== undefined ? { idlePollMs: options.idlePollMs } : {}),
          ...(options.log ? { log: options.log } : {}),
          handler: async (event) => {
            const Records = event.Records.filter(passesFilter);
            if (Records.length === 0) return undefined;
            handler ??= (await import(pathToFileURL(path.resolve(PROJECT_ROOT, fn.entry)).href))[
              fn.handlerExport
            ];
            if (typeof handler !== "function")
              throw new Error(`${fn.entry}.${fn.handlerExport} is not a function`);
            const run = handler;
            return runAsFunction(fn.logicalId, () => run({ Records }));
          },
        }),
      );
    }
  } catch (error) {
    await Promise.all(pollers.map((poller) => poller.stop()));
    streams.destroy();
    throw error;
  }
  return {
    async drain(timeoutMs) {
      await Promise.all(pollers.map((poller) => poller.drain(timeoutMs)));
    },
    async stop() {
      await Promise.all(pollers.map((poller) => poller.stop()));
      streams.destroy();
    },
  };
}
