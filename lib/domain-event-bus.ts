import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { DOMAIN_EVENT_SOURCE, EVENT_BUS_NAME_ENV } from "../contracts/domain-event-names.js";

export interface DomainEventArchiveProps {
  /** How long archived events are kept for replay. @default one year */
  readonly retention?: Duration;
}

export interface DomainEventBusProps {
  /** Name of the bus. @default a name CloudFormation generates */
  readonly eventBusName?: string;
  /** Archive every domain event so integrators can replay them. @default no archive */
  readonly archive?: DomainEventArchiveProps;
}

/**
 * The custom EventBridge bus integrators subscribe to (docs/events.md): `practice-onboarding` events, which
 * carry ids, labels and masked keys only, so the bus keeps EventBridge's default encryption.
 */
export class DomainEventBus extends Construct {
  readonly bus: events.EventBus;
  readonly archive?: events.Archive;

  constructor(scope: Construct, id: string, props: DomainEventBusProps = {}) {
    super(scope, id);
    this.bus = new events.EventBus(this, "Bus", {
      eventBusName: props.eventBusName,
      description:
        "Practice onboarding domain events: PracticeOnboarded, PracticeOffboarded, … (docs/events.md)",
    });
    if (props.archive) {
      this.archive = this.bus.archive("Archive", {
        description: "Every practice onboarding domain event, for replay",
        eventPattern: { source: [DOMAIN_EVENT_SOURCE] },
        retention: props.archive.retention ?? Duration.days(365),
      });
    }
  }

  /** `events:PutEvents` on this bus only. */
  grantPut(grantee: iam.IGrantable): iam.Grant {
    return this.bus.grantPutEventsTo(grantee);
  }

  /** Makes `fn` a publisher: grants PutEvents and sets EVENT_BUS_NAME (the outbox delivery is the only one). */
  addPublisher(fn: lambda.Function): void {
    this.grantPut(fn);
    fn.addEnvironment(EVENT_BUS_NAME_ENV, this.bus.eventBusName);
  }
}
