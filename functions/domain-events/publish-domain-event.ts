// The workflows' last step: publishes the domain event the step before it returned (PracticeOnboarded,
// PracticeOnboardingFailed, PracticeOffboarded), or nothing when it returned null. It validates the event (no
// field outside the schema, nothing key-shaped) and needs no table or secret: only PutEvents on the bus.
import * as z from "zod/mini";
import { stepHandler } from "../platform/step-handler.js";
import { type DomainEventInput, publishDomainEvent } from "./domain-events.js";

const payload = z.object({
  practiceId: z.string().check(z.minLength(1)),
  executionName: z.string().check(z.minLength(1)),
  /** Validated by the publisher against docs/events.md's schema; null: nothing to publish. */
  event: z.nullable(z.looseObject({ type: z.string() })),
});

export interface PublishOutcome {
  readonly published: boolean;
  readonly detailType?: string;
  readonly eventId?: string;
}

export const handler = stepHandler(payload, async ({ event }): Promise<PublishOutcome> => {
  if (!event) return { published: false };
  const published = await publishDomainEvent(event as DomainEventInput);
  return { published: true, detailType: published.detailType, eventId: published.detail.eventId };
});
