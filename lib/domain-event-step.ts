// The publish step that ends the onboarding and offboarding workflows: a Lambda Task publishing the event the
// business step before it returned (at `eventPath`), then going on to where the workflow was going anyway.
import { Duration } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import type { DomainEventBus } from "./domain-event-bus.js";
import { HandlerFunction } from "./handler-function.js";
import { lambdaStep } from "./workflow-task.js";

/** One PutEvents call, with the SDK's own retries: the Task's Retry covers anything longer. */
const PUBLISH_TIMEOUT = Duration.seconds(30);

/** The function behind every publish step of one workflow: PutEvents on the bus, nothing else. */
export function domainEventPublisher(
  scope: Construct,
  id: string,
  props: {
    readonly eventBus: DomainEventBus;
    readonly workflow: string;
    readonly encryptionKey: kms.IKey;
    readonly logRetention?: logs.RetentionDays;
  },
): HandlerFunction {
  const publisher = new HandlerFunction(scope, id, {
    entry: "functions/domain-events/publish-domain-event.ts",
    description: `${props.workflow}: publish the domain event for integrators`,
    encryptionKey: props.encryptionKey,
    logRetention: props.logRetention,
    timeout: PUBLISH_TIMEOUT,
  });
  props.eventBus.addPublisher(publisher.function);
  return publisher;
}

/**
 * Publishes the event at `eventPath` (null: nothing to publish) and goes on to `next`. A publish still failing
 * after its retries goes on to `next` as well, its error kept at `$.publishError`: the business step is already
 * recorded and must not be failed or compensated for a lost notification, which the publisher has logged,
 * counted (DomainEventPublishFailed) and alarmed on.
 */
export function publishEventStep(
  scope: Construct,
  id: string,
  publisher: HandlerFunction,
  eventPath: string,
  next: sfn.IChainable,
): sfn.IChainable {
  const publish = lambdaStep(
    scope,
    id,
    publisher,
    { "practiceId.$": "$.practiceId", "executionName.$": "$$.Execution.Name", "event.$": eventPath },
    "$.published",
  );
  publish.addCatch(next, { errors: ["States.ALL"], resultPath: "$.publishError" });
  return publish.next(next);
}
