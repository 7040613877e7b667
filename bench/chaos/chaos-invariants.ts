// The checks of docs/architecture.md §4 over a chaos run's evidence. Each says PASS, FAIL (with the offending practices or
// masked keys) or SKIP (with why), so a failure names what broke and for whom.
import { maskKeyTail } from "../../functions/platform/mask.js";
import type { PracticeRecord } from "../../functions/practice/practice-record.js";
import type { PublishedEnvelope } from "../../local/events-file.js";
import type { SimulatorKey, SimulatorRawKey } from "../../local/portal-simulator.js";
import type { DriveRecord } from "./chaos-driver.js";
import type { ChaosEvidence, ExecutionEvidence } from "./chaos-evidence.js";
import { type ChaosPlan, foreignKeys } from "./chaos-plan.js";
import { domainEventProblems } from "./domain-event-check.js";
import { claimOutcome, historyFacts } from "./execution-history-facts.js";
import type { LeakFinding } from "./secret-scan.js";

export type InvariantStatus = "PASS" | "FAIL" | "SKIP";

export interface InvariantResult {
  readonly id: string;
  /** docs/architecture.md §4 item(s) it proves. */
  readonly design: string;
  readonly title: string;
  readonly status: InvariantStatus;
  /** Offending items (0 when it passes). */
  readonly count: number;
  /** What failed, or why it was skipped; masked keys only. */
  readonly details: string[];
}

export interface StateMachineArns {
  readonly onboarding: string;
  readonly offboarding: string;
  readonly reconciliation?: string;
}

export interface ReconciliationOutcome {
  readonly ran: boolean;
  /** Why it did not run, or the execution's status and error when it did not succeed. */
  readonly note: string;
  readonly status?: string;
  readonly executionArn?: string;
  /** The execution's output, parsed (finding counts, repairs…). */
  readonly output?: unknown;
}

export interface InvariantInput {
  readonly evidence: ChaosEvidence;
  readonly plan: ChaosPlan;
  readonly drive: DriveRecord;
  readonly arns: StateMachineArns;
  readonly reconciliation: ReconciliationOutcome;
  readonly leaks: readonly LeakFinding[];
  /** The domain events the run published (the local events file), in the order written. */
  readonly events: readonly PublishedEnvelope[];
}

const IN_BETWEEN = new Set(["ONBOARDING", "OFFBOARDING"]);
const ENABLED = new Set(["Enabled", "EnabledReadOnly"]);
const MAX_DETAILS = 12;

function result(
  id: string,
  design: string,
  title: string,
  offending: readonly string[],
  skip?: string,
): InvariantResult {
  if (skip !== undefined)
    return {
      id,
      design,
      title,
      status: "SKIP",
      count: offending.length,
      details: [skip, ...offending.slice(0, MAX_DETAILS)],
    };
  return {
    id,
    design,
    title,
    status: offending.length === 0 ? "PASS" : "FAIL",
    count: offending.length,
    details:
      offending.length > MAX_DETAILS
        ? [...offending.slice(0, MAX_DETAILS), `… and ${offending.length - MAX_DETAILS} more`]
        : [...offending],
  };
}

/** Context every check shares: who holds which key, which keys were there before, the executions by kind. */
class RunView {
  readonly preExisting: Map<string, SimulatorRawKey>;
  readonly keys: Map<string, SimulatorKey>;
  readonly practiceByDevRefId: Map<string, string>;
  readonly practices: Map<string, PracticeRecord>;
  readonly onboardings: ExecutionEvidence[];
  readonly offboardings: ExecutionEvidence[];

  constructor(readonly input: InvariantInput) {
    const { evidence, plan, arns } = input;
    // Not ours: the pre-existing keys and those made by hand today (issue 14). Never changed.
    this.preExisting = new Map(foreignKeys(plan).map((k) => [k.CustomerKey, k]));
    this.keys = new Map(evidence.keys.map((k) => [k.CustomerKey, k]));
    this.practiceByDevRefId = new Map(plan.deliveries.map((d) => [d.devRefId, d.practiceId]));
    this.practices = new Map(evidence.practices.map((p) => [p.practiceId, p]));
    this.onboardings = evidence.executions.filter((e) => e.stateMachineArn === arns.onboarding);
    this.offboardings = evidence.executions.filter((e) => e.stateMachineArn === arns.offboarding);
  }

  isEnabled(customerKey: string | undefined): boolean {
    return customerKey !== undefined && ENABLED.has(this.keys.get(customerKey)?.KeyStatus ?? "");
  }

  /** Keys we made (everything the portal holds that was not there before). */
  ourKeys(): SimulatorKey[] {
    return [...this.keys.values()].filter((k) => !this.preExisting.has(k.CustomerKey));
  }

  /** Every practice a key is tied to: its ledger owner, a record holding it, the practice its label names. */
  practicesOf(key: SimulatorKey): Set<string> {
    const out = new Set<string>();
    const owner = this.input.evidence.ledger.get(key.CustomerKey);
    if (owner) out.add(owner.practiceId);
    for (const practice of this.practices.values())
      if (practice.customerKey === key.CustomerKey) out.add(practice.practiceId);
    const labeled = this.practiceByDevRefId.get(key.DevRefId);
    if (labeled) out.add(labeled);
    return out;
  }

  /** An enabled key of ours that no ACTIVE practice holds. */
  unaccountedEnabledKeys(): SimulatorKey[] {
    const heldByActive = new Set(
      [...this.practices.values()].flatMap((p) =>
        p.status === "ACTIVE" && p.customerKey ? [p.customerKey] : [],
      ),
    );
    return this.ourKeys().filter((k) => ENABLED.has(k.KeyStatus) && !heldByActive.has(k.CustomerKey));
  }

  /**
   * Why an enabled key no ACTIVE practice holds is still enabled, when it is a drift reconciliation exists to
   * repair: a lost POST answer, a claim left mid-way (compensation could not finish), or a compensation whose
   * disabling PUT the portal refused (recorded as "NOT disabled" in the practice's reason). Undefined otherwise.
   */
  awaitingReconciliation(key: SimulatorKey): string | undefined {
    if (key.history.some((e) => e.method === "POST" && e.status === null)) return "POST answer lost";
    for (const practiceId of this.practicesOf(key)) {
      const practice = this.practices.get(practiceId);
      if (IN_BETWEEN.has(practice?.status ?? "")) return `claim stuck ${practice?.status}`;
      if (practice?.status === "FAILED" && practice.failureReason?.includes("NOT disabled"))
        return "compensation's disable refused";
    }
    return undefined;
  }

  describeKey(key: SimulatorKey): string {
    const practices = [...this.practicesOf(key)].map((id) => {
      const practice = this.practices.get(id);
      const reason =
        practice?.status === "FAILED" ? `: "${(practice.failureReason ?? "").slice(0, 160)}"` : "";
      return `${id} ${practice?.status ?? "no record"}${reason}`;
    });
    const why = this.awaitingReconciliation(key);
    return `${maskKeyTail(key.CustomerKey)} ${key.KeyStatus}${practices.length ? ` (${practices.join("; ")})` : " (no practice)"}${why ? `, ${why}` : ""}`;
  }
}

export function checkInvariants(input: InvariantInput): InvariantResult[] {
  const view = new RunView(input);
  const { evidence, plan, drive, reconciliation, leaks } = input;
  const reconSkip = reconciliation.ran
    ? undefined
    : `reconciliation did not run (${reconciliation.note}); this holds only after it`;
  const results: InvariantResult[] = [];

  results.push(
    result(
      "executions-ended",
      "—",
      "every execution ended (none RUNNING, TIMED_OUT or ABORTED)",
      evidence.executions
        .filter((e) => !["SUCCEEDED", "FAILED"].includes(e.description.status ?? ""))
        .map((e) => `${e.description.name}: ${e.description.status}`),
    ),
  );

  const twoKeys: string[] = [];
  const enabledByPractice = new Map<string, string[]>();
  for (const key of view.ourKeys()) {
    if (!ENABLED.has(key.KeyStatus)) continue;
    for (const practiceId of view.practicesOf(key)) {
      enabledByPractice.set(practiceId, [
        ...(enabledByPractice.get(practiceId) ?? []),
        maskKeyTail(key.CustomerKey),
      ]);
    }
  }
  for (const [practiceId, keys] of enabledByPractice)
    if (keys.length > 1) twoKeys.push(`${practiceId}: ${keys.join(", ")} enabled`);
  results.push(result("one-enabled-key-per-practice", "§4.1", "no practice has two enabled keys", twoKeys));

  results.push(
    result(
      "one-practice-per-key",
      "§4.1",
      "no key is tied to two practices (ledger, records, labels)",
      view
        .ourKeys()
        .filter((k) => view.practicesOf(k).size > 1)
        .map((k) => view.describeKey(k)),
    ),
  );

  const secondExecutions: string[] = [];
  const arnsByWebhookId = new Map<string, Set<string>>();
  for (const delivery of drive.deliveries) {
    if (delivery.status < 200 || delivery.status > 299)
      secondExecutions.push(`${delivery.webhookId} (${delivery.kind}) answered ${delivery.status}`);
    if (!delivery.executionArn) continue;
    const set = arnsByWebhookId.get(delivery.webhookId) ?? new Set();
    set.add(delivery.executionArn);
    arnsByWebhookId.set(delivery.webhookId, set);
  }
  for (const [webhookId, arns] of arnsByWebhookId)
    if (arns.size > 1) secondExecutions.push(`${webhookId} started ${arns.size} executions`);
  results.push(
    result(
      "redelivery-one-execution",
      "§4.2",
      "every delivery was accepted and a redelivered webhook-id started no second execution",
      secondExecutions,
    ),
  );

  const overlapping: string[] = [];
  const claims = new Map<string, { name: string; claimedAt: number; endedAt: number }[]>();
  for (const execution of view.onboardings) {
    const facts = historyFacts(execution.events);
    const outcome = claimOutcome(facts, "ClaimPractice");
    if (outcome !== "claimed" && outcome !== "returning") continue;
    const practiceId = (facts.outputs.get("ClaimPractice") as { practiceId: string }).practiceId;
    const claimedAt =
      execution.events.find(
        (e) => e.type === "TaskStateExited" && e.stateExitedEventDetails?.name === "ClaimPractice",
      )?.timestamp ?? execution.description.startDate!;
    const list = claims.get(practiceId) ?? [];
    list.push({
      name: execution.description.name!,
      claimedAt: new Date(claimedAt).getTime(),
      endedAt: new Date(execution.description.stopDate ?? Date.now()).getTime(),
    });
    claims.set(practiceId, list);
  }
  for (const [practiceId, list] of claims) {
    list.sort((a, b) => a.claimedAt - b.claimedAt);
    for (let i = 1; i < list.length; i++)
      if (list[i]!.claimedAt < list[i - 1]!.endedAt)
        overlapping.push(`${practiceId}: ${list[i - 1]!.name} and ${list[i]!.name} both held it`);
  }
  const keysByExecution = new Map<string, string[]>();
  for (const [customerKey, owner] of evidence.ledger) {
    if (view.preExisting.has(customerKey)) continue;
    // A key whose POST answer was lost is not one the execution recorded: reconciliation may adopt it into the
    // ledger (under that execution) only to disable it.
    const history = view.keys.get(customerKey)?.history ?? [];
    const recordedFromAnswer = history.some((e) => e.method === "POST" && e.status !== null);
    if (!recordedFromAnswer) continue;
    keysByExecution.set(owner.createdBy, [
      ...(keysByExecution.get(owner.createdBy) ?? []),
      maskKeyTail(customerKey),
    ]);
  }
  for (const [execution, keys] of keysByExecution)
    if (keys.length > 1) overlapping.push(`${execution} recorded ${keys.length} keys: ${keys.join(", ")}`);
  results.push(
    result(
      "one-claim-one-key",
      "§4.2",
      "concurrent onboardings of one practice never both held it, and no execution recorded two keys",
      overlapping,
    ),
  );

  const failedWithKey: string[] = [];
  for (const execution of view.onboardings) {
    if (execution.description.status !== "FAILED") continue;
    const name = execution.description.name!;
    for (const [customerKey, owner] of evidence.ledger) {
      if (owner.createdBy !== name || !view.isEnabled(customerKey)) continue;
      const holder = view.practices.get(owner.practiceId);
      if (holder?.status === "ACTIVE" && holder.customerKey === customerKey) continue;
      if (reconSkip && view.awaitingReconciliation(view.keys.get(customerKey)!)) continue;
      failedWithKey.push(
        `${name}: its key ${maskKeyTail(customerKey)} is enabled (practice ${owner.practiceId} ${holder?.status})`,
      );
    }
  }
  for (const practice of view.practices.values())
    if (
      practice.status === "FAILED" &&
      view.isEnabled(practice.customerKey) &&
      !(reconSkip && view.awaitingReconciliation(view.keys.get(practice.customerKey!)!))
    )
      failedWithKey.push(`${practice.practiceId} FAILED holds enabled key ${practice.maskedKey}`);
  results.push(
    result(
      "failed-onboarding-no-enabled-key",
      "§4.3",
      "no key of a failed onboarding stays enabled (compensation)",
      failedWithKey,
    ),
  );

  results.push(
    result(
      "failed-practice-has-reason",
      "§4.3",
      "every FAILED practice says why",
      [...view.practices.values()]
        .filter((p) => p.status === "FAILED" && !p.failureReason?.trim())
        .map((p) => `${p.practiceId}: no failureReason`),
    ),
  );

  const unaccounted = view.unaccountedEnabledKeys();
  results.push(
    result(
      "no-unaccounted-enabled-key",
      "§4.4",
      "every enabled key is pre-existing or held by an ACTIVE practice",
      unaccounted.map((k) => view.describeKey(k)),
      reconSkip,
    ),
  );
  if (reconSkip) {
    // Until reconciliation runs, the drifts it exists to repair are expected; nothing else is.
    const unexplained = unaccounted.filter((k) => !view.awaitingReconciliation(k));
    results.push(
      result(
        "unaccounted-keys-explained",
        "§4.3–4.4",
        "every enabled key no ACTIVE practice holds is a drift reconciliation repairs (lost POST answer, stuck claim, refused disable)",
        unexplained.map((k) => view.describeKey(k)),
      ),
    );
  }

  results.push(
    result(
      "no-practice-in-between",
      "§4.3",
      "no practice is left ONBOARDING or OFFBOARDING",
      [...view.practices.values()]
        .filter((p) => IN_BETWEEN.has(p.status))
        .map(
          (p) =>
            `${p.practiceId} ${p.status} by ${p.lastExecution}${view.isEnabled(p.customerKey) ? `, key ${p.maskedKey} enabled` : ""}`,
        ),
      reconSkip,
    ),
  );

  results.push(
    result(
      "active-practice-key-enabled-and-labeled",
      "§1",
      "every ACTIVE practice holds an enabled key labeled with its DevRefId",
      [...view.practices.values()]
        .filter((p) => p.status === "ACTIVE")
        .flatMap((p) => {
          const key = p.customerKey ? view.keys.get(p.customerKey) : undefined;
          if (!key)
            return [
              `${p.practiceId}: holds ${p.customerKey ? `${p.maskedKey}, unknown to the portal` : "no key"}`,
            ];
          if (!ENABLED.has(key.KeyStatus)) return [`${p.practiceId}: key ${p.maskedKey} is ${key.KeyStatus}`];
          if (key.DevRefId !== p.devRefId)
            return [`${p.practiceId}: key ${p.maskedKey} labeled "${key.DevRefId}"`];
          return [];
        }),
    ),
  );

  results.push(
    result(
      "offboarded-key-disabled",
      "§1, §4.5",
      "every OFFBOARDED practice's key is disabled",
      [...view.practices.values()]
        .filter((p) => p.status === "OFFBOARDED" && view.isEnabled(p.customerKey))
        .map((p) => `${p.practiceId}: key ${p.maskedKey} still enabled`),
    ),
  );

  const notIdempotent: string[] = [];
  for (const repeat of drive.repeatedOffboardings) {
    const execution = evidence.executions.find((e) => e.description.executionArn === repeat.executionArn);
    const facts = execution ? historyFacts(execution.events) : undefined;
    const after = repeat.customerKey ? (view.keys.get(repeat.customerKey)?.history.length ?? 0) : 0;
    if (execution?.description.status !== "SUCCEEDED")
      notIdempotent.push(
        `${repeat.practiceId}: repeated offboarding ${execution?.description.status ?? "not found"}`,
      );
    else if (facts?.statesEntered.includes("DisableKey"))
      notIdempotent.push(`${repeat.practiceId}: repeated offboarding called DisableKey`);
    if (after !== repeat.keyHistoryBefore)
      notIdempotent.push(
        `${repeat.practiceId}: portal key touched again (${repeat.keyHistoryBefore} → ${after} events)`,
      );
    if (view.practices.get(repeat.practiceId)?.status !== "OFFBOARDED")
      notIdempotent.push(`${repeat.practiceId}: now ${view.practices.get(repeat.practiceId)?.status}`);
  }
  results.push(
    result(
      "offboarding-idempotent",
      "§4.5",
      `offboarding an OFFBOARDED practice again succeeds and changes nothing (${drive.repeatedOffboardings.length} tried)`,
      notIdempotent,
      drive.repeatedOffboardings.length === 0 ? "no offboarding succeeded to repeat" : undefined,
    ),
  );

  const unknown = drive.unknownOffboarding
    ? evidence.executions.find((e) => e.description.executionArn === drive.unknownOffboarding?.executionArn)
    : undefined;
  const unknownProblems: string[] = [];
  if (!unknown) unknownProblems.push("the unknown practice's offboarding was not started");
  else {
    const { status, error, cause } = unknown.description;
    if (status !== "FAILED" || error !== "PracticeNotFound")
      unknownProblems.push(`ended ${status} with error ${error ?? "none"}`);
    if (!cause?.includes(plan.unknownPracticeId))
      unknownProblems.push("its cause does not name the practice");
  }
  if (view.practices.has(plan.unknownPracticeId)) unknownProblems.push("a record was created for it");
  results.push(
    result(
      "offboarding-unknown-practice-clear-error",
      "§4.5",
      "offboarding an unknown practice fails with PracticeNotFound naming it, and writes nothing",
      unknownProblems,
    ),
  );

  results.push(
    result(
      "no-secret-leaked",
      "§4.6",
      "no CustomerKey, DeveloperKey, DeveloperPortalKey or webhook secret in full in logs, histories, events, audit or answers",
      leaks.map((l) => `${l.secret} in ${l.source} (${l.occurrences}×)`),
    ),
  );

  const badInput: string[] = [];
  for (const bad of drive.badDeliveries) {
    if (bad.status < 400 || bad.status > 499) badInput.push(`${bad.what}: answered ${bad.status}`);
    if (view.practices.has(bad.practiceId)) badInput.push(`${bad.what}: a record was created`);
    if (view.onboardings.some((e) => e.description.input?.includes(bad.practiceId)))
      badInput.push(`${bad.what}: an execution was started`);
  }
  results.push(
    result(
      "bad-input-changes-nothing",
      "§4.7",
      "bad webhook deliveries are refused (4xx) and change nothing",
      badInput,
    ),
  );

  const returningProblems: string[] = [];
  const returningNotes: string[] = [];
  for (const returning of drive.returning) {
    const execution = evidence.executions.find((e) => e.description.executionArn === returning.executionArn);
    const facts = execution ? historyFacts(execution.events) : undefined;
    const outcome = facts ? claimOutcome(facts, "ClaimPractice") : undefined;
    const expected = returning.from === "OFFBOARDED" ? "returning" : "claimed";
    if (outcome !== expected) {
      returningProblems.push(
        `${returning.practiceId} (${returning.from}): claim outcome ${outcome ?? "none"}, expected ${expected}`,
      );
      continue;
    }
    const practice = view.practices.get(returning.practiceId);
    if (practice?.status !== "ACTIVE") {
      returningNotes.push(`${returning.practiceId} ended ${practice?.status} under faults`);
      continue;
    }
    if (
      returning.from === "OFFBOARDED" &&
      returning.previousCustomerKey &&
      practice.customerKey !== returning.previousCustomerKey
    ) {
      // A new key is right only when the portal refused to re-enable the old one (the workflow audits that).
      const executionName = execution?.description.name;
      const refusal = evidence.audit
        .get(returning.practiceId)
        ?.find((a) => a.action === "KEY_REENABLE_REFUSED" && a.executionName === executionName);
      if (refusal)
        returningNotes.push(
          `${returning.practiceId} got a new key: the portal refused the re-enable (${String(refusal.details?.reason ?? "").slice(0, 120)})`,
        );
      else returningProblems.push(`${returning.practiceId}: got a new key though no re-enable was refused`);
    }
  }
  results.push(
    result(
      "returning-practices",
      "§4.8",
      `returning practices: FAILED ones claimed again, OFFBOARDED ones get their old key re-enabled (${drive.returning.length} tried${returningNotes.length ? `; ${returningNotes.join("; ")}` : ""})`,
      returningProblems,
      drive.returning.length === 0 ? "no practice was offboarded or failed to bring back" : undefined,
    ),
  );

  const changed: string[] = [];
  for (const [customerKey, before] of view.preExisting) {
    const now = view.keys.get(customerKey);
    if (!now) {
      changed.push(`${maskKeyTail(customerKey)} is gone`);
      continue;
    }
    const fields = (Object.keys(before) as (keyof SimulatorRawKey)[]).filter((f) => before[f] !== now[f]);
    if (fields.length > 0 || now.history.length > 0)
      changed.push(
        `${maskKeyTail(customerKey)}: ${fields.length ? `changed ${fields.join(", ")}` : ""}${now.history.length ? ` ${now.history.length} requests touched it` : ""}`,
      );
  }
  results.push(
    result(
      "pre-existing-keys-unchanged",
      "§4.1",
      `foreign portal keys (${plan.preExistingKeys.length} pre-existing, ${plan.handMadeKeys.length} made by hand today) are never changed or touched`,
      changed,
    ),
  );

  results.push(
    result(
      "domain-events-agree",
      "issue 7",
      `domain events agree with the outcomes the workflows recorded (${input.events.length} published)`,
      domainEventProblems({
        events: input.events,
        practices: evidence.practices,
        executions: [...view.onboardings, ...view.offboardings],
      }),
    ),
  );

  if (reconciliation.ran)
    results.push(
      result(
        "reconciliation-succeeded",
        "§4.4",
        "reconciliation with repair succeeded",
        reconciliation.status === "SUCCEEDED" ? [] : [reconciliation.note],
      ),
    );
  return results;
}
