// docs/architecture.md §4 for integrators: the domain events a chaos run published agree with what the run left behind —
// every practice an onboarding or offboarding finished has its event, from that execution, with its masked key;
// no event announces an outcome neither its execution nor the record reached; repeats of one event are exact
// copies.
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import type { PublishedEnvelope } from "../../local/events-file.js";
import type { ExecutionEvidence } from "./chaos-evidence.js";

/** The event type an execution's outcome must publish, by final practice status. */
const EXPECTED_BY_STATUS: Readonly<Record<string, string>> = {
  ACTIVE: "PracticeOnboarded",
  FAILED: "PracticeOnboardingFailed",
  OFFBOARDED: "PracticeOffboarded",
};

/** The execution status each event type says its execution ended with. */
const ENDED_AS: Readonly<Record<string, string>> = {
  PracticeOnboarded: "SUCCEEDED",
  PracticeOnboardingFailed: "FAILED",
  PracticeOffboarded: "SUCCEEDED",
};

/** What is wrong, one line per problem (masked keys only); empty when the events agree with the run. */
export function domainEventProblems(input: {
  readonly events: readonly PublishedEnvelope[];
  readonly practices: readonly PracticeRecord[];
  /** The onboarding and offboarding executions of the run. */
  readonly executions: readonly ExecutionEvidence[];
}): string[] {
  const problems: string[] = [];
  const byExecution = new Map(input.executions.map((e) => [e.description.name ?? "", e]));
  const byPractice = new Map(input.practices.map((p) => [p.practiceId, p]));
  const firstById = new Map<string, string>();
  for (const event of input.events) {
    // Copies of one event (a retried delivery) share detail.eventId; the envelope id is EventBridge's own.
    const eventId = String(event.detail.eventId);
    const copy = JSON.stringify([event["detail-type"], event.source, event.detail]);
    const first = firstById.get(eventId);
    if (first === undefined) firstById.set(eventId, copy);
    else if (first !== copy) problems.push(`event ${eventId} was published twice with different contents`);
    const type = event["detail-type"];
    const execution = byExecution.get(event.detail.executionName);
    if (!(type in ENDED_AS)) continue;
    const practice = byPractice.get(String(event.detail.practiceId));
    // An execution that died before it could finish is finished on its behalf (claim release, reconciliation
    // repair), under its name: what counts then is the outcome the record holds for it.
    const recordAgrees =
      practice?.lastExecution === event.detail.executionName && EXPECTED_BY_STATUS[practice.status] === type;
    if (recordAgrees) continue;
    if (!execution) {
      problems.push(`${type} names execution ${event.detail.executionName}, which the run did not start`);
    } else if (execution.description.status !== ENDED_AS[type]) {
      problems.push(
        `${type} for ${String(event.detail.practiceId)} from ${event.detail.executionName}, which ended ${execution.description.status}`,
      );
    }
  }
  for (const practice of input.practices) {
    const expected = EXPECTED_BY_STATUS[practice.status];
    // Only outcomes a workflow execution of this run recorded (not the reconciler's repairs, not imports).
    if (!expected || !byExecution.has(practice.lastExecution)) continue;
    const found = input.events.filter(
      (e) => e["detail-type"] === expected && e.detail.executionName === practice.lastExecution,
    );
    if (found.length === 0) {
      problems.push(`${practice.practiceId} ${practice.status} by ${practice.lastExecution}: no ${expected}`);
      continue;
    }
    const detail = found[0]!.detail;
    if (detail.practiceId !== practice.practiceId)
      problems.push(`${expected} from ${practice.lastExecution} names practice ${String(detail.practiceId)}`);
    if ((detail.maskedKey ?? undefined) !== (practice.maskedKey ?? undefined))
      problems.push(
        `${practice.practiceId}: ${expected} says key ${String(detail.maskedKey)}, the record ${practice.maskedKey}`,
      );
  }
  return problems;
}
