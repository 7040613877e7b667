// Reconciliation loop: decide whether the unlabeled keys lost POST answers may have created are ours (adopt and,
// in repair runs, plan to disable them) or cannot be told apart (report them FOREIGN, a page at a time).

import type { Finding } from "../../contracts/reconciliation-findings.js";

import type { OpenCreateAttempt } from "../practice/create-attempts.js";
import type { LostKeyCandidate } from "../practice/reconciliation-scratch.js";
import {
  attemptId,
  attemptWindow,
  candidatesAreOurs,
  olderThan,
  unaccountedPosts,
} from "./reconciliation-classify.js";
import { clock, limitsOf, type ReconciliationDeps } from "./reconciliation-deps.js";
import {
  type Batch,
  type Progress,
  type RunState,
  type StepState,
  withBatch,
  writeBatch,
} from "./reconciliation-state.js";

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
    maskedKey: candidate.maskedKey,
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
  const running = await runningAttempts(deps, candidates, byId);
  for (const candidate of candidates) {
    const attempts = candidate.attemptIds.flatMap((id) => byId.get(id) ?? []);
    const owner = attempts[0]!;
    // A running execution may still record the key or POST again: never adopt under it.
    const executionRunning = candidate.attemptIds.some((id) => running.has(id));
    const settled =
      !executionRunning && attempts.every((a) => olderThan(a.lastAttemptAt, run.graceMinutes, now));
    batch.findings.push({
      category: "UNMAPPED_KEY_OURS",
      practiceId: owner.practiceId,
      maskedKey: candidate.maskedKey,
      details: {
        reason: "created by a POST whose answer was lost",
        origin: "lost-response",
        attempts: candidate.attemptIds.join(", "),
        dateCreated: candidate.dateCreated,
        ...(executionRunning ? { executionRunning: true } : settled ? {} : { withinGracePeriod: true }),
      },
    });
    if (!run.repair) continue;
    if (!settled) {
      batch.deferred += 1;
      for (const id of candidate.attemptIds) unsettledAttempts.add(id);
      continue;
    }
    // In the ledger first: from here on every run knows the key as ours, whatever happens to the attempt.
    await deps.runs.adoptLostKey(
      { keyFingerprint: candidate.keyFingerprint, maskedKey: candidate.maskedKey },
      owner,
      run.runId,
      now,
    );
    batch.repairs.push({
      type: "DISABLE_KEY",
      category: "UNMAPPED_KEY_OURS",
      customerKey: candidate.customerKey,
      keyFingerprint: candidate.keyFingerprint,
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

/**
 * The candidates' attempts whose onboarding execution is still running (asked once per attempt). Without a
 * lookup (no onboarding state machine configured) the grace period alone decides.
 */
async function runningAttempts(
  deps: ReconciliationDeps,
  candidates: readonly LostKeyCandidate[],
  byId: ReadonlyMap<string, OpenCreateAttempt>,
): Promise<Set<string>> {
  const running = new Set<string>();
  if (!deps.executions) return running;
  for (const id of new Set(candidates.flatMap((c) => c.attemptIds))) {
    const attempt = byId.get(id);
    if (!attempt) continue;
    if ((await deps.executions.status("ONBOARDING", attempt.executionName)) === "RUNNING") running.add(id);
  }
  return running;
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
