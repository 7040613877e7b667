// The reconciliation state machine's payload between steps: `$.run` (fixed at start) and `$.progress` (cursors
// and counts), and how one chunk's findings and planned repairs are written and counted.

import {
  addCounts,
  countFindings,
  type Finding,
  type FindingCounts,
} from "../../contracts/reconciliation-findings.js";
import type { PlannedRepair } from "../practice/reconciliation-scratch.js";
import type { ReconciliationParams } from "./reconciliation-classify.js";
import type { ReconciliationDeps } from "./reconciliation-deps.js";

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
    /**
     * SHA-256 of the sorted fingerprints of the last page listed, when it was full: a next page holding the same
     * keys means the portal ignores Offset. A digest of fingerprints, never a key.
     */
    readonly lastFullPage?: string;
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

/** What one chunk of work found and planned. */
export interface Batch {
  findings: Finding[];
  repairs: PlannedRepair[];
  deferred: number;
}

/** Writes one chunk's findings and planned repairs; returns the counts to add. */
export async function writeBatch(
  deps: ReconciliationDeps,
  runId: string,
  chunk: number,
  batch: Batch,
  now: Date,
) {
  if (batch.findings.length > 0) await deps.runs.writeFindings(runId, chunk, batch.findings, now);
  if (batch.repairs.length > 0) await deps.runs.writeRepairs(runId, chunk, batch.repairs, now);
}

/** The progress counts with one written chunk added. */
export function withBatch(progress: Progress, batch: Batch): Pick<Progress, "counts" | "repairs"> {
  return {
    counts: addCounts(progress.counts, countFindings(batch.findings)),
    repairs: {
      ...progress.repairs,
      planned: progress.repairs.planned + batch.repairs.length,
      deferred: progress.repairs.deferred + batch.deferred,
    },
  };
}
