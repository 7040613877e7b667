// What reconciliation reads and writes in the practice table, behind one object (the steps' `deps.runs`): its
// own run items (reconciliation-runs.ts, reconciliation-scratch.ts), bulk reads of the rest of the table, and
// the few writes it makes outside its own items (adopting a lost key into the ledger, resolving an attempt).
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { OutboxMessage } from "../../contracts/domain-event-outbox.js";
import type { Finding } from "../../contracts/reconciliation-findings.js";
import type { PracticeStatus } from "../../contracts/table-schema.js";
import type { KeyCipher } from "../key-custody/key-cipher.js";
import type { KeyFingerprint, KeyFingerprinter } from "../key-custody/key-fingerprint.js";
import { KeyConflict } from "../platform/errors.js";
import { listOpenAttempts, type OpenCreateAttempt, resolveAttempt } from "./create-attempts.js";
import type { KeyInstallation } from "./key-installation.js";
import {
  announceInstallation,
  type KeyInstalledObservation,
  recordKeyInstalled,
} from "./key-installation-writes.js";
import { adoptLostKey, getLedger, type LedgerEntry, markLedgerDisabled } from "./key-ledger.js";
import { getReleasedKeys, type KeyRelease } from "./key-releases.js";
import { getPractices, practicesPage } from "./practice-reads.js";
import type { PracticeRecord } from "./practice-record.js";
import { fingerprintOf, type PracticeTable } from "./practice-table.js";
import {
  finishRun,
  getRun,
  listRuns,
  type ReconciliationRunSummary,
  type RunOutcomeFields,
  readFindings,
  startRun,
  writeFindings,
} from "./reconciliation-runs.js";
import {
  getSeenKeys,
  type LostKeyCandidate,
  type PlannedRepair,
  readCandidates,
  readRepairs,
  recordRepairOutcome,
  type SeenKey,
  type StoredRepair,
  writeCandidates,
  writeRepairs,
  writeSeenKeys,
} from "./reconciliation-scratch.js";
import { revealStoredKey, scratchKeyOwner } from "./stored-customer-key.js";

export interface ReconciliationStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** For the functions that first see a key (practice-table.ts); the others need none. */
  readonly fingerprint?: KeyFingerprinter;
  /** For the functions that write or send a key (stored-customer-key.ts); the others need none. */
  readonly keyCipher?: KeyCipher;
}

export class ReconciliationStore {
  private readonly table: PracticeTable;
  readonly tableName: string;

  constructor(options: ReconciliationStoreOptions) {
    this.table = {
      client: options.client,
      tableName: options.tableName,
      ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}),
      ...(options.keyCipher ? { keyCipher: options.keyCipher } : {}),
    };
    this.tableName = options.tableName;
  }

  // ── Run summary and findings (reconciliation-runs.ts) ──────────────────────────────────────────────────

  startRun(
    run: Pick<ReconciliationRunSummary, "runId" | "repair" | "graceMinutes" | "notYetAssignedDays">,
    now: Date,
  ): Promise<ReconciliationRunSummary> {
    return startRun(this.table, run, now);
  }

  getRun(runId: string): Promise<ReconciliationRunSummary | undefined> {
    return getRun(this.table, runId);
  }

  /** The run's outcome, with the event announcing it (when given) in the same transaction. */
  finishRun(runId: string, outcome: RunOutcomeFields, announce?: OutboxMessage): Promise<void> {
    return finishRun(this.table, runId, outcome, announce);
  }

  listRuns(limit = 20): Promise<ReconciliationRunSummary[]> {
    return listRuns(this.table, limit);
  }

  writeFindings(runId: string, chunk: number, findings: readonly Finding[], now: Date): Promise<void> {
    return writeFindings(this.table, runId, chunk, findings, now);
  }

  readFindings(runId: string, cursor?: string): Promise<{ findings: Finding[]; cursor: string | undefined }> {
    return readFindings(this.table, runId, cursor);
  }

  // ── Scratch: seen keys, candidates, repairs (reconciliation-scratch.ts) ────────────────────────────────

  writeSeenKeys(
    runId: string,
    seen: ReadonlyArray<SeenKey & { readonly keyFingerprint: KeyFingerprint }>,
    now: Date,
  ): Promise<void> {
    return writeSeenKeys(this.table, runId, seen, now);
  }

  getSeenKeys(runId: string, fingerprints: readonly KeyFingerprint[]): Promise<Map<KeyFingerprint, SeenKey>> {
    return getSeenKeys(this.table, runId, fingerprints);
  }

  writeCandidates(runId: string, chunk: number, candidates: readonly LostKeyCandidate[], now: Date) {
    return writeCandidates(this.table, runId, chunk, candidates, now);
  }

  readCandidates(
    runId: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ candidates: LostKeyCandidate[]; lastSk: string | undefined }> {
    return readCandidates(this.table, runId, after, limit);
  }

  writeRepairs(runId: string, chunk: number, repairs: readonly PlannedRepair[], now: Date): Promise<void> {
    return writeRepairs(this.table, runId, chunk, repairs, now);
  }

  readRepairs(
    runId: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ repairs: StoredRepair[]; lastSk: string | undefined }> {
    return readRepairs(this.table, runId, after, limit);
  }

  /** The plaintext of a key in this run's scratch (a candidate's, a planned repair's), for the repair's PUT. */
  revealScratchKey(runId: string, stored: string): Promise<string> {
    return revealStoredKey(this.table, stored, scratchKeyOwner(runId));
  }

  /** The plaintext of a practice's key, for a repair of a stuck practice's key. */
  revealCustomerKey(record: Pick<PracticeRecord, "practiceId" | "customerKey">): Promise<string> {
    if (!record.customerKey) throw new KeyConflict(`practice ${record.practiceId} holds no key`);
    return revealStoredKey(this.table, record.customerKey, { practiceId: record.practiceId });
  }

  recordRepairOutcome(runId: string, sk: string, outcome: string, now: Date): Promise<void> {
    return recordRepairOutcome(this.table, runId, sk, outcome, now);
  }

  // ── The rest of the table, in bulk ─────────────────────────────────────────────────────────────────────

  /** Ledger entries by fingerprint. */
  getLedger(fingerprints: readonly KeyFingerprint[]): Promise<Map<KeyFingerprint, LedgerEntry>> {
    return getLedger(this.table, fingerprints);
  }

  /** The keyed fingerprint of a key just listed; only the listing function's store has a fingerprinter. */
  fingerprint(customerKey: string): Promise<KeyFingerprint> {
    return fingerprintOf(this.table, customerKey);
  }

  getPractices(practiceIds: readonly string[]): Promise<Map<string, PracticeRecord>> {
    return getPractices(this.table, practiceIds);
  }

  practicesPage(
    status: PracticeStatus,
    afterPracticeId: string | undefined,
    limit: number,
  ): Promise<{ practices: PracticeRecord[]; last: string | undefined }> {
    return practicesPage(this.table, status, afterPracticeId, limit);
  }

  listOpenAttempts(): Promise<OpenCreateAttempt[]> {
    return listOpenAttempts(this.table);
  }

  resolveAttempt(
    attempt: Pick<OpenCreateAttempt, "practiceId" | "executionName">,
    resolution: { readonly runId: string; readonly note: string; readonly now: Date },
  ): Promise<void> {
    return resolveAttempt(this.table, attempt, resolution);
  }

  /** Keys an operator released as not ours (`ops release-key`), among these. */
  getReleasedKeys(fingerprints: readonly KeyFingerprint[]): Promise<Map<KeyFingerprint, KeyRelease>> {
    return getReleasedKeys(this.table, fingerprints);
  }

  adoptLostKey(
    key: { readonly keyFingerprint: KeyFingerprint; readonly maskedKey: string },
    attempt: Pick<OpenCreateAttempt, "practiceId" | "executionName">,
    runId: string,
    now: Date,
  ): Promise<boolean> {
    return adoptLostKey(this.table, key, attempt, runId, now);
  }

  markLedgerDisabled(keyFingerprint: KeyFingerprint, now: Date): Promise<void> {
    return markLedgerDisabled(this.table, keyFingerprint, now);
  }

  // ── The installation funnel (key-installation-writes.ts) ───────────────────────────────────────────────

  recordKeyInstalled(
    observation: KeyInstalledObservation,
    announce: (installation: KeyInstallation) => OutboxMessage,
  ): Promise<KeyInstallation | undefined> {
    return recordKeyInstalled(this.table, observation, announce);
  }

  announceInstallation(
    recorded: Parameters<typeof announceInstallation>[1],
    message: OutboxMessage,
  ): Promise<boolean> {
    return announceInstallation(this.table, recorded, message);
  }
}
