// The Reconciliation workflow's steps as plain functions of their dependencies. Each step does a bounded amount
// of work (a few portal pages, a few hundred practices, a few repairs), writes what it found to the table, and
// returns only a cursor and counts — the state machine loops until each phase says done.
//
//   start → list portal keys (loop) → check practices (loop) → classify lost-POST candidates (loop)
//         → repair (loop, repair runs only) → finish

import {
  addCounts,
  countFindings,
  emptyCounts,
  type Finding,
  type FindingCounts,
  findingsNeedingAttention,
} from "../../contracts/reconciliation-findings.js";
import { PRACTICE_STATUSES } from "../../contracts/table-schema.js";
import type { DomainEventInput } from "../domain-events/domain-events.js";
import { PortalThrottled } from "../platform/errors.js";
import { maskSecret } from "../platform/mask.js";
import type { StepLogger } from "../platform/step-logger.js";
import type { PortalClient } from "../portal/portal-types.js";
import { type PracticeStore, sanitizeReason } from "../practice/practice-store.js";
import type {
  LostKeyCandidate,
  OpenCreateAttempt,
  PlannedRepair,
  ReconciliationRunSummary,
  ReconciliationStore,
  SeenKey,
} from "../practice/reconciliation-store.js";
import {
  attemptId,
  attemptWindow,
  candidatesAreOurs,
  classifyPortalKey,
  classifyPractice,
  type ExecutionLookup,
  type ExecutionState,
  needsExecutionCheck,
  olderThan,
  type ReconciliationParams,
  unaccountedPosts,
} from "./reconciliation-classify.js";
import { parseReconciliationRequest } from "./reconciliation-input.js";
import { executeRepair } from "./reconciliation-repair-steps.js";

/** How much one invocation does. Small enough for Lambda's limits at 1 portal request per second. */
export interface ReconciliationLimits {
  /** Portal pages (100 keys each) per invocation. */
  readonly pagesPerInvocation: number;
  /** Practice records per invocation. */
  readonly practicesPerInvocation: number;
  /** Repairs per invocation (each is one or two portal requests). */
  readonly repairsPerInvocation: number;
  /** Lost-POST candidates per invocation when they are reported one by one. */
  readonly candidatesPerInvocation: number;
  /** An invocation starts no new page or repair after this long, so it ends well inside its timeout. */
  readonly timeBudgetMs: number;
  /** More pages than this means the portal ignores Offset: the listing stops with an error. */
  readonly maxPages: number;
  /** Fully accounted create attempts taken out of the open-attempt index per run. */
  readonly housekeepingPerRun: number;
}

export const DEFAULT_LIMITS: ReconciliationLimits = {
  pagesPerInvocation: 10,
  practicesPerInvocation: 500,
  repairsPerInvocation: 10,
  candidatesPerInvocation: 1000,
  timeBudgetMs: 45_000,
  maxPages: 5_000,
  housekeepingPerRun: 500,
};

/** Everything the steps need; tests hand in real local clients. */
export interface ReconciliationDeps {
  readonly store: PracticeStore;
  readonly runs: ReconciliationStore;
  /** Only the listing and repair steps call the portal. */
  readonly portal?: PortalClient;
  readonly executions?: ExecutionLookup;
  readonly logger?: StepLogger;
  /** Publishes a finished run's counts (Powertools metrics in Lambda). */
  readonly publishMetrics?: (counts: FindingCounts, needingAttention: number) => void;
  /**
   * Publishes domain events (absent when no event sink is configured): ReconciliationCompleted when a run
   * finishes, and the outcome event of a stuck practice a repair finished.
   */
  readonly publishEvent?: (event: DomainEventInput) => Promise<unknown>;
  readonly now?: () => Date;
  readonly limits?: Partial<ReconciliationLimits>;
}

/** `$.run`: the run's parameters, fixed at start. */
export interface RunState extends ReconciliationParams {
  readonly startedAt: string;
}

/** `$.progress`: cursors and counts. Never a key, never a finding: those live in the table. */
export interface Progress {
  /** Next chunk number for findings, candidates and repairs items. */
  readonly chunk: number;
  readonly counts: FindingCounts;
  readonly keys: {
    readonly nextOffset: number;
    readonly listed: number;
    readonly pages: number;
    readonly done: boolean;
  };
  readonly practices: {
    /** Index into PRACTICE_STATUSES. */
    readonly status: number;
    readonly after: string | null;
    readonly checked: number;
    readonly done: boolean;
  };
  readonly candidates: {
    readonly count: number;
    readonly verdict: "pending" | "none" | "ours" | "foreign";
    /** Sort key of the last candidate reported (cursor; carries no key). */
    readonly after: string | null;
    readonly done: boolean;
  };
  readonly repairs: {
    readonly planned: number;
    readonly done: number;
    readonly skipped: number;
    readonly failed: number;
    readonly deferred: number;
    readonly after: string | null;
    readonly finished: boolean;
  };
}

export interface StepState {
  readonly run: RunState;
  readonly progress: Progress;
}

const silent: StepLogger = { info() {}, warn() {}, error() {} };

function limitsOf(deps: ReconciliationDeps): ReconciliationLimits {
  return { ...DEFAULT_LIMITS, ...deps.limits };
}

function clock(deps: ReconciliationDeps): () => Date {
  return deps.now ?? (() => new Date());
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`reconciliation step needs ${what}`);
  return value;
}

/** Validates the input, records the run as RUNNING and returns the initial state. */
export async function startReconciliation(
  deps: ReconciliationDeps,
  event: { readonly input: unknown; readonly executionName: string },
): Promise<StepState> {
  const request = parseReconciliationRequest(event.input);
  const now = clock(deps)();
  const summary = await deps.runs.startRun({ runId: event.executionName, ...request }, now);
  await resolveAccountedAttempts(deps, event.executionName, now);
  (deps.logger ?? silent).info("reconciliation started", { runId: summary.runId, repair: summary.repair });
  return {
    run: {
      runId: summary.runId,
      repair: summary.repair,
      graceMinutes: summary.graceMinutes,
      notYetAssignedDays: summary.notYetAssignedDays,
      startedAt: summary.startedAt,
    },
    progress: {
      chunk: 0,
      counts: emptyCounts(),
      keys: { nextOffset: 0, listed: 0, pages: 0, done: false },
      practices: { status: 0, after: null, checked: 0, done: false },
      candidates: { count: 0, verdict: "pending", after: null, done: false },
      repairs: {
        planned: 0,
        done: 0,
        skipped: 0,
        failed: 0,
        deferred: 0,
        after: null,
        finished: !summary.repair,
      },
    },
  };
}

/**
 * Takes attempts whose one POST got its key recorded out of the open-attempt index (bookkeeping only; every
 * run does it, report-only too, or the index would grow with every onboarding).
 */
async function resolveAccountedAttempts(deps: ReconciliationDeps, runId: string, now: Date): Promise<void> {
  const attempts = await deps.runs.listOpenAttempts();
  const accounted = attempts
    .filter((a) => unaccountedPosts(a) === 0)
    .slice(0, limitsOf(deps).housekeepingPerRun);
  for (const attempt of accounted) {
    await deps.runs.resolveAttempt(attempt, { runId, note: "key recorded by the onboarding", now });
  }
}

interface Batch {
  findings: Finding[];
  repairs: PlannedRepair[];
  deferred: number;
}

/** Writes one chunk's findings and planned repairs; returns the counts to add. */
async function writeBatch(deps: ReconciliationDeps, runId: string, chunk: number, batch: Batch, now: Date) {
  if (batch.findings.length > 0) await deps.runs.writeFindings(runId, chunk, batch.findings, now);
  if (batch.repairs.length > 0) await deps.runs.writeRepairs(runId, chunk, batch.repairs, now);
}

function withBatch(progress: Progress, batch: Batch): Pick<Progress, "counts" | "repairs"> {
  return {
    counts: addCounts(progress.counts, countFindings(batch.findings)),
    repairs: {
      ...progress.repairs,
      planned: progress.repairs.planned + batch.repairs.length,
      deferred: progress.repairs.deferred + batch.deferred,
    },
  };
}

/** Lists up to `pagesPerInvocation` portal pages from the cursor and classifies every key on them. */
export async function scanPortalKeys(deps: ReconciliationDeps, state: StepState): Promise<Progress> {
  const portal = need(deps.portal, "a portal client");
  const limits = limitsOf(deps);
  const now = clock(deps);
  const started = now().getTime();
  const { run } = state;
  let progress = state.progress;
  const openAttempts = await deps.runs.listOpenAttempts();
  for (let page = 0; page < limits.pagesPerInvocation && !progress.keys.done; page++) {
    if (page > 0 && now().getTime() - started > limits.timeBudgetMs) break;
    if (progress.keys.pages >= limits.maxPages) {
      throw new Error(
        `GET /apikeys kept returning full pages past ${limits.maxPages} pages; the portal may be ignoring Offset`,
      );
    }
    let listed: Awaited<ReturnType<PortalClient["listKeysPage"]>>;
    try {
      listed = await portal.listKeysPage(progress.keys.nextOffset);
    } catch (error) {
      // Keep what this invocation already did; the next one (or Step Functions' retry) carries on from here.
      if (error instanceof PortalThrottled && page > 0) break;
      throw error;
    }
    const ledger = await deps.runs.getLedger(listed.keys.map((k) => k.customerKey));
    const practices = await deps.runs.getPractices([...ledger.values()].map((entry) => entry.practiceId));
    const batch: Batch = { findings: [], repairs: [], deferred: 0 };
    const seen: Array<SeenKey & { customerKey: string }> = [];
    const candidates: LostKeyCandidate[] = [];
    const at = now();
    for (const key of listed.keys) {
      const entry = ledger.get(key.customerKey);
      const result = classifyPortalKey(key, {
        ledger: entry,
        practice: entry ? practices.get(entry.practiceId) : undefined,
        openAttempts,
        params: run,
        now: at,
      });
      batch.findings.push(...result.findings);
      batch.repairs.push(...result.repairs);
      batch.deferred += result.deferred;
      if (result.seen) seen.push({ customerKey: key.customerKey, ...result.seen });
      if (result.candidate) candidates.push(result.candidate);
    }
    const chunk = progress.chunk;
    await deps.runs.writeSeenKeys(run.runId, seen, at);
    if (candidates.length > 0) await deps.runs.writeCandidates(run.runId, chunk, candidates, at);
    await writeBatch(deps, run.runId, chunk, batch, at);
    progress = {
      ...progress,
      ...withBatch(progress, batch),
      chunk: chunk + 1,
      keys: {
        nextOffset: listed.nextOffset ?? progress.keys.nextOffset + listed.keys.length,
        listed: progress.keys.listed + listed.keys.length,
        pages: progress.keys.pages + 1,
        done: listed.nextOffset === null,
      },
      candidates: { ...progress.candidates, count: progress.candidates.count + candidates.length },
    };
  }
  return progress;
}

/** Checks up to `practicesPerInvocation` practice records from the cursor: KEY_MISSING and STUCK. */
export async function checkPractices(deps: ReconciliationDeps, state: StepState): Promise<Progress> {
  const limits = limitsOf(deps);
  const now = clock(deps);
  const { run } = state;
  let progress = state.progress;
  let checkedHere = 0;
  while (!progress.practices.done && checkedHere < limits.practicesPerInvocation) {
    const status = PRACTICE_STATUSES[progress.practices.status]!;
    const page = await deps.runs.practicesPage(
      status,
      progress.practices.after ?? undefined,
      Math.min(100, limits.practicesPerInvocation - checkedHere),
    );
    const at = now();
    const seen = await deps.runs.getSeenKeys(
      run.runId,
      page.practices.flatMap((p) => (p.customerKey ? [p.customerKey] : [])),
    );
    const batch: Batch = { findings: [], repairs: [], deferred: 0 };
    for (const practice of page.practices) {
      let execution: ExecutionState | undefined;
      if (needsExecutionCheck(practice, run, at)) {
        execution = deps.executions
          ? await deps.executions.status(
              practice.status as "ONBOARDING" | "OFFBOARDING",
              practice.lastExecution,
            )
          : "UNKNOWN";
      }
      const result = classifyPractice(practice, {
        seen: practice.customerKey ? seen.get(practice.customerKey) : undefined,
        execution,
        params: run,
        now: at,
      });
      batch.findings.push(...result.findings);
      batch.repairs.push(...result.repairs);
      batch.deferred += result.deferred;
    }
    const chunk = progress.chunk;
    await writeBatch(deps, run.runId, chunk, batch, at);
    checkedHere += page.practices.length;
    const nextStatus = page.last === undefined ? progress.practices.status + 1 : progress.practices.status;
    progress = {
      ...progress,
      ...withBatch(progress, batch),
      chunk: chunk + 1,
      practices: {
        status: nextStatus,
        after: page.last ?? null,
        checked: progress.practices.checked + page.practices.length,
        done: nextStatus >= PRACTICE_STATUSES.length,
      },
    };
  }
  return progress;
}

/**
 * Decides the lost-POST candidates (see the "ours" rule in reconciliation-classify.ts). Ours: reported
 * UNMAPPED_KEY_OURS and, when repairing, adopted into the ledger, planned for disabling, and their attempts
 * resolved. Otherwise reported FOREIGN with `possiblyOurs`, a page at a time, and left alone.
 */
export async function classifyCandidates(deps: ReconciliationDeps, state: StepState): Promise<Progress> {
  const limits = limitsOf(deps);
  const now = clock(deps)();
  const { run } = state;
  let progress = state.progress;
  const openAttempts = await deps.runs.listOpenAttempts();
  const lostPosts = openAttempts.reduce((sum, attempt) => sum + unaccountedPosts(attempt), 0);
  const count = progress.candidates.count;

  if (progress.candidates.verdict === "pending") {
    if (count === 0) {
      if (run.repair) await resolveSettledAttempts(deps, run, openAttempts, new Set(), now);
      return { ...progress, candidates: { ...progress.candidates, verdict: "none", done: true } };
    }
    if (count <= lostPosts) {
      // Few enough to hold at once (no more than the lost POSTs, themselves a handful).
      const { candidates } = await deps.runs.readCandidates(run.runId, undefined, count);
      if (candidatesAreOurs(candidates, openAttempts)) {
        return await adoptCandidates(deps, state, candidates, openAttempts, now);
      }
    }
    progress = { ...progress, candidates: { ...progress.candidates, verdict: "foreign" } };
  }

  const page = await deps.runs.readCandidates(
    run.runId,
    progress.candidates.after ?? undefined,
    limits.candidatesPerInvocation,
  );
  const findings: Finding[] = page.candidates.map((candidate) => ({
    category: "UNMAPPED_KEY_FOREIGN",
    maskedKey: maskSecret(candidate.customerKey),
    details: {
      possiblyOurs: true,
      reason: `${count} unlabeled keys dated near ${lostPosts} lost POST answer(s): cannot tell which are ours`,
      dateCreated: candidate.dateCreated,
      attempts: candidate.attemptIds.join(", "),
    },
  }));
  const batch: Batch = { findings, repairs: [], deferred: 0 };
  await writeBatch(deps, run.runId, progress.chunk, batch, now);
  return {
    ...progress,
    ...withBatch(progress, batch),
    chunk: progress.chunk + 1,
    candidates: {
      ...progress.candidates,
      after: page.lastSk ?? null,
      done: page.lastSk === undefined,
    },
  };
}

async function adoptCandidates(
  deps: ReconciliationDeps,
  state: StepState,
  candidates: readonly LostKeyCandidate[],
  openAttempts: readonly OpenCreateAttempt[],
  now: Date,
): Promise<Progress> {
  const { run, progress } = state;
  const byId = new Map(openAttempts.map((a) => [attemptId(a), a]));
  const batch: Batch = { findings: [], repairs: [], deferred: 0 };
  const unsettledAttempts = new Set<string>();
  for (const candidate of candidates) {
    const attempts = candidate.attemptIds.flatMap((id) => byId.get(id) ?? []);
    const owner = attempts[0]!;
    const settled = attempts.every((a) => olderThan(a.lastAttemptAt, run.graceMinutes, now));
    batch.findings.push({
      category: "UNMAPPED_KEY_OURS",
      practiceId: owner.practiceId,
      maskedKey: maskSecret(candidate.customerKey),
      details: {
        reason: "created by a POST whose answer was lost",
        origin: "lost-response",
        attempts: candidate.attemptIds.join(", "),
        dateCreated: candidate.dateCreated,
        ...(settled ? {} : { withinGracePeriod: true }),
      },
    });
    if (!run.repair) continue;
    if (!settled) {
      batch.deferred += 1;
      for (const id of candidate.attemptIds) unsettledAttempts.add(id);
      continue;
    }
    // In the ledger first: from here on every run knows the key as ours, whatever happens to the attempt.
    await deps.runs.adoptLostKey(candidate.customerKey, owner, run.runId, now);
    batch.repairs.push({
      type: "DISABLE_KEY",
      category: "UNMAPPED_KEY_OURS",
      customerKey: candidate.customerKey,
      practiceId: owner.practiceId,
    });
  }
  await writeBatch(deps, run.runId, progress.chunk, batch, now);
  if (run.repair) {
    const adoptedPerAttempt = new Map<string, number>();
    for (const candidate of candidates) {
      for (const id of candidate.attemptIds) adoptedPerAttempt.set(id, (adoptedPerAttempt.get(id) ?? 0) + 1);
    }
    await resolveSettledAttempts(deps, run, openAttempts, unsettledAttempts, now, adoptedPerAttempt);
  }
  return {
    ...progress,
    ...withBatch(progress, batch),
    chunk: progress.chunk + 1,
    candidates: { ...progress.candidates, verdict: "ours", done: true },
  };
}

/** Repair runs: open attempts older than the grace period whose keys (if any) are now in the ledger. */
async function resolveSettledAttempts(
  deps: ReconciliationDeps,
  run: RunState,
  openAttempts: ReadonlyArray<
    Parameters<typeof attemptId>[0] &
      Parameters<typeof unaccountedPosts>[0] & { lastAttemptAt: string; firstAttemptAt: string }
  >,
  unsettled: ReadonlySet<string>,
  now: Date,
  adopted: ReadonlyMap<string, number> = new Map(),
): Promise<void> {
  for (const attempt of openAttempts) {
    const id = attemptId(attempt);
    if (unaccountedPosts(attempt) === 0 || unsettled.has(id)) continue;
    if (!olderThan(attempt.lastAttemptAt, run.graceMinutes, now)) continue;
    const keys = adopted.get(id) ?? 0;
    const window = attemptWindow(attempt);
    await deps.runs.resolveAttempt(attempt, {
      runId: run.runId,
      note:
        keys > 0
          ? `${keys} key(s) from lost POST answers adopted into the ledger`
          : `no unlabeled enabled key dated ${window.from}..${window.to} outside the ledger`,
      now,
    });
  }
}

/** Makes up to `repairsPerInvocation` planned repairs from the cursor. */
export async function repairFindings(deps: ReconciliationDeps, state: StepState): Promise<Progress> {
  const limits = limitsOf(deps);
  const now = clock(deps);
  const started = now().getTime();
  const { run } = state;
  let progress = state.progress;
  const page = await deps.runs.readRepairs(
    run.runId,
    progress.repairs.after ?? undefined,
    limits.repairsPerInvocation,
  );
  let after = progress.repairs.after;
  let handled = 0;
  for (const stored of page.repairs) {
    if (handled > 0 && now().getTime() - started > limits.timeBudgetMs) break;
    handled += 1;
    const result = stored.outcome
      ? { outcome: stored.outcome.split(":")[0] as "done" | "skipped" | "failed", note: stored.outcome }
      : await executeRepair(
          {
            store: deps.store,
            runs: deps.runs,
            portal: need(deps.portal, "a portal client"),
            executions: deps.executions,
            logger: deps.logger,
            ...(deps.publishEvent ? { publishEvent: deps.publishEvent } : {}),
          },
          run,
          stored.repair,
          now,
        );
    if (!stored.outcome) {
      await deps.runs.recordRepairOutcome(run.runId, stored.sk, `${result.outcome}: ${result.note}`, now());
    }
    after = stored.sk;
    progress = {
      ...progress,
      repairs: {
        ...progress.repairs,
        [result.outcome]: progress.repairs[result.outcome] + 1,
        after,
      },
    };
  }
  const finished = handled === page.repairs.length && page.lastSk === undefined;
  return { ...progress, repairs: { ...progress.repairs, after, finished } };
}

/** The workflow's final output (and the FAILED path's): a reference and counts, nothing more. */
export interface RunOutcome {
  readonly runId: string;
  readonly status: "SUCCEEDED" | "FAILED";
  readonly repair: boolean;
  readonly counts: FindingCounts;
  readonly needingAttention: number;
  readonly repairs: Omit<Progress["repairs"], "after" | "finished">;
  readonly keysListed: number;
  readonly practicesChecked: number;
}

/** Stores the run's counts on its summary, publishes the metrics, and returns the outcome. */
export async function finishReconciliation(
  deps: ReconciliationDeps,
  state: StepState & { readonly error?: { readonly Error?: string; readonly Cause?: string } },
): Promise<RunOutcome> {
  const { run, progress } = state;
  const now = clock(deps)();
  const { after: _after, finished: _finished, ...repairs } = progress.repairs;
  const needingAttention = findingsNeedingAttention(progress.counts, {
    repair: run.repair,
    repairsFailed: repairs.failed,
  });
  const status = state.error ? "FAILED" : "SUCCEEDED";
  const summary: Omit<
    ReconciliationRunSummary,
    "runId" | "repair" | "graceMinutes" | "notYetAssignedDays" | "startedAt"
  > = {
    status,
    completedAt: now.toISOString(),
    counts: progress.counts,
    needingAttention,
    keysListed: progress.keys.listed,
    pagesListed: progress.keys.pages,
    practicesChecked: progress.practices.checked,
    repairs,
    ...(state.error ? { error: describeError(state.error) } : {}),
  };
  await deps.runs.finishRun(run.runId, summary);
  deps.publishMetrics?.(progress.counts, needingAttention);
  if (status === "SUCCEEDED") {
    // A retried finish publishes the same event again: its id derives from the run id, so consumers drop it.
    await deps.publishEvent?.({
      type: "ReconciliationCompleted",
      executionName: run.runId,
      occurredAt: summary.completedAt,
      findingsByCategory: progress.counts,
      needingAttention,
      repaired: repairs.done,
    });
  }
  (deps.logger ?? silent).info("reconciliation finished", { runId: run.runId, status, needingAttention });
  return {
    runId: run.runId,
    status,
    repair: run.repair,
    counts: progress.counts,
    needingAttention,
    repairs,
    keysListed: progress.keys.listed,
    practicesChecked: progress.practices.checked,
  };
}

function describeError(error: { readonly Error?: string; readonly Cause?: string }): string {
  let message = error.Cause ?? "";
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") message = parsed.errorMessage;
  } catch {
    // not JSON: the Cause is the message
  }
  return sanitizeReason(`${error.Error ?? "Error"}${message ? `: ${message}` : ""}`);
}
