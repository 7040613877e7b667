// The chaos suite's domain-event check: it must name what is wrong, or the invariant could never fail.
import { describe, expect, it } from "vitest";
import type { ExecutionEvidence } from "../../../bench/chaos/chaos-evidence.js";
import { domainEventProblems } from "../../../bench/chaos/domain-event-check.js";
import type { PracticeRecord } from "../../../functions/practice/practice-store.js";
import type { PublishedEnvelope } from "../../../local/events-file.js";

const execution = (name: string, status: string): ExecutionEvidence => ({
  machine: "OnboardingStateMachine",
  stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:Onboarding",
  description: { name, status } as ExecutionEvidence["description"],
  events: [],
});

const practice = (practiceId: string, status: string, lastExecution: string): PracticeRecord =>
  ({ practiceId, status, lastExecution, maskedKey: "…W2HD #3f9a1c" }) as PracticeRecord;

const event = (type: string, executionName: string, practiceId: string, maskedKey = "…W2HD #3f9a1c") =>
  ({
    // EventBridge gives every entry its own envelope id; copies of one event share detail.eventId.
    id: crypto.randomUUID(),
    "detail-type": type,
    source: "practice-onboarding",
    time: "2025-03-04T05:06:07Z",
    detail: { eventId: `${type}-${executionName}`, executionName, practiceId, maskedKey },
  }) satisfies PublishedEnvelope;

describe("domainEventProblems", () => {
  it("finds nothing wrong when each recorded outcome has its event from its execution", () => {
    expect(
      domainEventProblems({
        events: [event("PracticeOnboarded", "on-1", "p-1"), event("PracticeOnboarded", "on-1", "p-1")],
        practices: [practice("p-1", "ACTIVE", "on-1")],
        executions: [execution("on-1", "SUCCEEDED")],
      }),
    ).toEqual([]);
  });

  it("accepts an event for an execution that died when the record holds that outcome for it (finished on its behalf)", () => {
    expect(
      domainEventProblems({
        events: [event("PracticeOnboarded", "on-3", "p-3")],
        practices: [practice("p-3", "ACTIVE", "on-3")],
        executions: [execution("on-3", "FAILED")],
      }),
    ).toEqual([]);
  });

  it("names a practice whose outcome has no event, and an event whose execution ended otherwise", () => {
    expect(
      domainEventProblems({
        events: [event("PracticeOnboarded", "on-2", "p-2")],
        practices: [practice("p-1", "OFFBOARDED", "off-1"), practice("p-2", "FAILED", "on-2")],
        executions: [execution("off-1", "SUCCEEDED"), execution("on-2", "FAILED")],
      }),
    ).toEqual([
      "PracticeOnboarded for p-2 from on-2, which ended FAILED",
      "p-1 OFFBOARDED by off-1: no PracticeOffboarded",
      "p-2 FAILED by on-2: no PracticeOnboardingFailed",
    ]);
  });

  it("names an event carrying another key than the record, and repeats that differ", () => {
    expect(
      domainEventProblems({
        events: [
          event("PracticeOnboarded", "on-1", "p-1", "…BBBB #a1b2c3"),
          { ...event("PracticeOnboarded", "on-1", "p-1"), time: "2025-03-04T05:06:08Z" },
        ],
        practices: [practice("p-1", "ACTIVE", "on-1")],
        executions: [execution("on-1", "SUCCEEDED")],
      }),
    ).toEqual([
      "event PracticeOnboarded-on-1 was published twice with different contents",
      "p-1: PracticeOnboarded says key …BBBB #a1b2c3, the record …W2HD #3f9a1c",
    ]);
  });
});
