// Where an ops command publishes a domain event: the local stack's events file, or the deployed stack's bus
// (stack output EventBusName), with the operator's credentials in the target's region.
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { STACK_OUTPUTS } from "../contracts/stack-outputs.js";
import {
  buildDomainEvent,
  type DomainEvent,
  type DomainEventInput,
  eventBridgeSink,
  jsonLinesFileSink,
} from "../functions/domain-events/domain-events.js";
import type { OpsTarget } from "./targets.js";

/** Validates and publishes one event. @throws DomainEventInvalid, DomainEventPublishFailed, OperationFailed. */
export async function publishFromOps(target: OpsTarget, input: DomainEventInput): Promise<DomainEvent> {
  const event = buildDomainEvent(input);
  if (target.eventsFile) {
    await jsonLinesFileSink(target.eventsFile).put(event);
    return event;
  }
  const bus = target.output(STACK_OUTPUTS.eventBusName, "event bus");
  const client = new EventBridgeClient({ region: await target.sfn.config.region() });
  try {
    await eventBridgeSink(client, bus).put(event);
  } finally {
    client.destroy();
  }
  return event;
}
