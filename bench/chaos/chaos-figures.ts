// The numbers a chaos run reports: what was sent, what ran and how it ended, how often Step Functions retried and
// compensated, what the portal saw, and the key counts the invariants are about.
import type { DriveRecord } from "./chaos-driver.js";
import type { ChaosEvidence } from "./chaos-evidence.js";
import type { InvariantResult, ReconciliationOutcome, StateMachineArns } from "./chaos-invariants.js";
import { type ChaosPlan, foreignKeys } from "./chaos-plan.js";
import { historyFacts } from "./execution-history-facts.js";
import type { LeakFinding } from "./secret-scan.js";

/** What the chaos run's operator decided on the report-only run's lost-POST candidates. */
export interface OperatorDecisions {
  readonly candidates: number;
  readonly released: number;
}

export interface ChaosFigures {
  readonly deliveries: Readonly<Record<string, number>>;
  /** By state machine, by status. */
  readonly executions: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly retries: number;
  readonly retriesByError: Readonly<Record<string, number>>;
  readonly compensations: Readonly<Record<string, number>>;
  readonly portal: Readonly<Record<string, number>>;
  readonly portalFaults: Readonly<Record<string, number>>;
  readonly keys: Readonly<Record<string, number>>;
  readonly practices: Readonly<Record<string, number>>;
  readonly leakedSecrets: number;
  /** Every number in the reconciliation's output (finding counts, repairs…), by its path. */
  readonly reconciliation: Readonly<Record<string, number>>;
}

/** `{counts: {STUCK: 2}, repairs: {done: 3}}` → `{"counts.STUCK": 2, "repairs.done": 3}`. */
export function numbersByPath(value: unknown, prefix = ""): Record<string, number> {
  if (typeof value === "number") return { [prefix || "value"]: value };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const out: Record<string, number> = {};
  for (const [key, inner] of Object.entries(value))
    Object.assign(out, numbersByPath(inner, prefix ? `${prefix}.${key}` : key));
  return out;
}

function count(into: Record<string, number>, key: string, by = 1): void {
  into[key] = (into[key] ?? 0) + by;
}

function invariantCount(invariants: readonly InvariantResult[], id: string): number {
  return invariants.find((i) => i.id === id)?.count ?? 0;
}

export function computeFigures(input: {
  readonly evidence: ChaosEvidence;
  readonly plan: ChaosPlan;
  readonly drive: DriveRecord;
  readonly arns: StateMachineArns;
  readonly invariants: readonly InvariantResult[];
  readonly leaks: readonly LeakFinding[];
  readonly reconciliation: ReconciliationOutcome;
  /** The operator's decisions between the two repairs (issue 14), when candidates were reported. */
  readonly operator?: OperatorDecisions;
}): ChaosFigures {
  const { evidence, plan, drive, arns, invariants, leaks } = input;
  const deliveries: Record<string, number> = {};
  count(deliveries, "practices", plan.practiceIds.length);
  for (const d of drive.deliveries) {
    count(deliveries, "sent");
    count(deliveries, d.kind);
    count(deliveries, `HTTP ${d.status}`);
    if (d.attempts > 1) count(deliveries, "redelivered after 5xx", d.attempts - 1);
  }
  count(deliveries, "bad (refused)", drive.badDeliveries.length);
  count(deliveries, "returning", drive.returning.length);

  const machineName = (arn: string) =>
    arn === arns.onboarding
      ? "onboarding"
      : arn === arns.offboarding
        ? "offboarding"
        : arn === arns.reconciliation
          ? "reconciliation"
          : "other";
  const executions: Record<string, Record<string, number>> = {};
  const retriesByError: Record<string, number> = {};
  const compensations: Record<string, number> = {};
  let retries = 0;
  for (const execution of evidence.executions) {
    const machine = machineName(execution.stateMachineArn);
    executions[machine] ??= {};
    count(executions[machine]!, execution.description.status ?? "UNKNOWN");
    const facts = historyFacts(execution.events);
    retries += facts.retries;
    for (const error of facts.retriedErrors) count(retriesByError, error);
    if (machine === "onboarding") {
      if (facts.statesEntered.includes("Compensate")) count(compensations, "onboarding compensations");
      if (facts.statesEntered.includes("CompensationFailed"))
        count(compensations, "onboarding compensations that failed");
    } else if (machine === "offboarding") {
      if (facts.statesEntered.includes("RestorePractice")) count(compensations, "offboarding restores");
      if (facts.statesEntered.includes("CompensationFailed"))
        count(compensations, "offboarding restores that failed");
    }
  }

  const portal: Record<string, number> = { requests: evidence.stats.requests };
  const portalFaults: Record<string, number> = {};
  for (const call of evidence.calls) {
    count(portal, `${call.method} ${call.status ?? "no answer"}`);
    if (call.fault) count(portalFaults, call.fault);
  }
  portal["max in any 1 s window"] = evidence.stats.maxInAnyWindow;

  const foreign = new Set(foreignKeys(plan).map((k) => k.CustomerKey));
  const ours = evidence.keys.filter((k) => !foreign.has(k.CustomerKey));
  const keys: Record<string, number> = {
    "pre-existing": plan.preExistingKeys.length,
    "made by hand today (unlabeled, half installed)": plan.handMadeKeys.length,
    "lost-POST candidates listed (report-only run)": input.operator?.candidates ?? 0,
    "hand-made candidates released by the operator": input.operator?.released ?? 0,
    "created (POST committed)": ours.length,
    "POST answers lost (commit-then-drop)": ours.filter((k) =>
      k.history.some((e) => e.method === "POST" && e.status === null),
    ).length,
    "ours enabled": ours.filter((k) => k.KeyStatus === "Enabled").length,
    "ours disabled": ours.filter((k) => k.KeyStatus !== "Enabled").length,
    "unaccounted enabled": invariantCount(invariants, "no-unaccounted-enabled-key"),
    "practices with two enabled keys": invariantCount(invariants, "one-enabled-key-per-practice"),
    "keys tied to two practices": invariantCount(invariants, "one-practice-per-key"),
    "foreign keys changed (pre-existing + hand-made)": invariantCount(
      invariants,
      "pre-existing-keys-unchanged",
    ),
    "domain events missing or refused": invariantCount(invariants, "domain-events-agree"),
  };
  const practices: Record<string, number> = {};
  for (const p of evidence.practices) count(practices, p.status);
  return {
    deliveries,
    executions,
    retries,
    retriesByError,
    compensations,
    portal,
    portalFaults,
    keys,
    practices,
    leakedSecrets: leaks.reduce((sum, l) => sum + l.occurrences, 0),
    reconciliation: numbersByPath(input.reconciliation.output),
  };
}
