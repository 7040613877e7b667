// The outbox's delivery for a test harness, as the local stack runs it: the table's stream feeds the delivery
// function (local/event-bus/stream-event-sources.ts), which puts events on a local bus writing `eventsFile`.
// The bus's service must be registered on the harness's AWS endpoint, and AWS_ENDPOINT_URL_EVENTBRIDGE set.
import type { SynthesizedStack } from "../../local/cloudformation-template.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { createLocalEventBus, type LocalEventBus } from "../../local/event-bus/local-event-bus.js";
import {
  type LocalStreamSources,
  startStreamEventSources,
} from "../../local/event-bus/stream-event-sources.js";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../../local/fake-aws.js";
import type { ExtractedFunction } from "../../local/state-machine-extractor.js";

export interface HarnessEventDelivery {
  readonly eventBus: LocalEventBus;
  readonly streams: LocalStreamSources;
  close(): Promise<void>;
}

export async function startHarnessEventDelivery(options: {
  readonly templates: readonly SynthesizedStack[];
  readonly resourceNames: Readonly<Record<string, string>>;
  readonly functions: ReadonlyMap<string, ExtractedFunction>;
  readonly dynamoDbEndpoint: string;
  readonly eventsFile: string;
}): Promise<HarnessEventDelivery> {
  const eventBus = createLocalEventBus({
    eventsFile: options.eventsFile,
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT_ID,
  });
  const client = localDynamoDbClient(options.dynamoDbEndpoint);
  const streams = await startStreamEventSources({
    templates: options.templates,
    resourceNames: options.resourceNames,
    functions: options.functions,
    dynamoDb: client,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    deadLetterFile: `${options.eventsFile}.dead-letters`,
    // Short polls: every harness run drains the stream before it returns.
    idlePollMs: 25,
  });
  return {
    eventBus,
    streams,
    async close() {
      await streams.stop();
      client.destroy();
    },
  };
}
