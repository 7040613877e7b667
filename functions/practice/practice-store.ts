// The practice table's domain behind one object: practice records, the key ledger, create attempts and the
// audit trail. Every change to a practice record is one transaction with its audit entry, conditional on the
// state the caller saw (conditional-transaction.ts). Each method delegates to the module of its concern; the
// class keeps call sites and the steps' injected dependency (`deps.store`) stable.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { PracticeStatus } from "../../contracts/table-schema.js";
import type { EncryptedCustomerKey, KeyCipher } from "../key-custody/key-cipher.js";
import type { KeyFingerprint, KeyFingerprinter } from "../key-custody/key-fingerprint.js";
import { KeyConflict } from "../platform/errors.js";
import type { PortalKey } from "../portal/portal-types.js";
import { type AuditEntry, appendAudit, listAudit } from "./audit-trail.js";
import type { OwnedStep } from "./conditional-transaction.js";
import { type CreateAttemptRecord, getCreateAttempt, listCreateAttempts } from "./create-attempts.js";
import { type ClaimingWorkflow, recordExecutionEnded } from "./ended-executions.js";
import { getKeyOwner, type LedgerEntry } from "./key-ledger.js";
import { type KeyMigrationCounts, type KeyMigrationOptions, migrateKeys } from "./key-migration.js";
import {
  completeOffboarding,
  type OffboardingRestore,
  type OffboardingStart,
  type OffboardingStartRequest,
  recordOffboardingKeyDisabled,
  restoreAfterFailedOffboarding,
  startOffboarding,
} from "./offboarding-writes.js";
import { type ClaimRequest, type ClaimResult, claimForOnboarding } from "./onboarding-claim-writes.js";
import {
  markCreateAnsweredNothing,
  markCreateResponseLost,
  recordCreateAttempt,
  recordKeyCreated,
  recordKeyReenabled,
} from "./onboarding-key-writes.js";
import { markActive, markFailed } from "./onboarding-outcome-writes.js";
import type { Announce } from "./outbox-writes.js";
import { getPractice, listPractices } from "./practice-reads.js";
import type { PracticeRecord } from "./practice-record.js";
import { fingerprintOf, type PracticeTable } from "./practice-table.js";
import { encryptCustomerKey, revealStoredKey } from "./stored-customer-key.js";

// Callers not yet moved to the concern modules (domain-events/, key-import.ts) import the record type from here.
export type { PracticeRecord } from "./practice-record.js";

export interface PracticeStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** For the functions that first see a key (practice-table.ts); the others need none. */
  readonly fingerprint?: KeyFingerprinter;
  /** For the functions that write or send a key (stored-customer-key.ts); the others need none. */
  readonly keyCipher?: KeyCipher;
}

export class PracticeStore {
  private readonly table: PracticeTable;
  readonly tableName: string;

  constructor(options: PracticeStoreOptions) {
    this.table = {
      client: options.client,
      tableName: options.tableName,
      ...(options.fingerprint ? { fingerprint: options.fingerprint } : {}),
      ...(options.keyCipher ? { keyCipher: options.keyCipher } : {}),
    };
    this.tableName = options.tableName;
  }

  // ── Reads ──────────────────────────────────────────────────────────────────────────────────────────────

  getPractice(practiceId: string): Promise<PracticeRecord | undefined> {
    return getPractice(this.table, practiceId);
  }

  listPractices(filter: { readonly status?: PracticeStatus } = {}): Promise<PracticeRecord[]> {
    return listPractices(this.table, filter);
  }

  /** The ledger entry at a key's fingerprint (the record's `keyFingerprint`, or `fingerprint(key)`). */
  getKeyOwner(keyFingerprint: KeyFingerprint): Promise<LedgerEntry | undefined> {
    return getKeyOwner(this.table, keyFingerprint);
  }

  /** `ops migrate-keys`: re-addresses a table written before key custody (key-migration.ts). */
  migrateKeys(options: KeyMigrationOptions = {}): Promise<KeyMigrationCounts> {
    return migrateKeys(this.table, options);
  }

  /** The keyed fingerprint of a key just seen; only stores built with a fingerprinter have one. */
  fingerprint(customerKey: string): Promise<KeyFingerprint> {
    return fingerprintOf(this.table, customerKey);
  }

  /** The stored form of a key just seen for `practiceId` (`ops import`): its ciphertext under the custody key. */
  encryptCustomerKey(customerKey: string, practiceId: string): Promise<EncryptedCustomerKey> {
    return encryptCustomerKey(this.table, customerKey, { practiceId });
  }

  /**
   * The plaintext of the practice's key, for a portal request: only stores built with a key cipher (the
   * functions granted kms:Decrypt, lib/key-custody.ts) open it (stored-customer-key.ts).
   */
  revealCustomerKey(record: Pick<PracticeRecord, "practiceId" | "customerKey">): Promise<string> {
    if (!record.customerKey) throw new KeyConflict(`practice ${record.practiceId} holds no key`);
    return revealStoredKey(this.table, record.customerKey, { practiceId: record.practiceId });
  }

  /** The plaintext of a returning practice's previous key (to re-enable, or to disable on compensation). */
  revealPreviousCustomerKey(
    record: Pick<PracticeRecord, "practiceId" | "previousCustomerKey">,
  ): Promise<string> {
    if (!record.previousCustomerKey)
      throw new KeyConflict(`practice ${record.practiceId} holds no previous key`);
    return revealStoredKey(this.table, record.previousCustomerKey, { practiceId: record.practiceId });
  }

  getCreateAttempt(practiceId: string, executionName: string): Promise<CreateAttemptRecord | undefined> {
    return getCreateAttempt(this.table, practiceId, executionName);
  }

  listCreateAttempts(practiceId: string): Promise<CreateAttemptRecord[]> {
    return listCreateAttempts(this.table, practiceId);
  }

  // ── Audit trail ────────────────────────────────────────────────────────────────────────────────────────

  appendAudit(entry: Omit<AuditEntry, "at" | "id"> & { readonly now?: Date }): Promise<AuditEntry> {
    return appendAudit(this.table, entry);
  }

  listAudit(practiceId: string, limit = 100): Promise<AuditEntry[]> {
    return listAudit(this.table, practiceId, limit);
  }

  // ── Claim release (ended-executions.ts) ────

  /** The claim release's first write: a claim by this execution that lands from now on is refused. */
  recordExecutionEnded(workflow: ClaimingWorkflow, executionName: string): Promise<void> {
    return recordExecutionEnded(this.table, workflow, executionName);
  }

  // ── Onboarding (onboarding-claim-writes.ts, onboarding-key-writes.ts, onboarding-outcome-writes.ts) ────

  claimForOnboarding(request: ClaimRequest): Promise<ClaimResult> {
    return claimForOnboarding(this.table, request);
  }

  recordCreateAttempt(step: OwnedStep): Promise<CreateAttemptRecord> {
    return recordCreateAttempt(this.table, step);
  }

  markCreateAnsweredNothing(step: OwnedStep & { readonly errorName: string }): Promise<void> {
    return markCreateAnsweredNothing(this.table, step);
  }

  markCreateResponseLost(step: OwnedStep & { readonly errorName: string }): Promise<void> {
    return markCreateResponseLost(this.table, step);
  }

  recordKeyCreated(step: OwnedStep & { readonly key: PortalKey }): Promise<PracticeRecord> {
    return recordKeyCreated(this.table, step);
  }

  recordKeyReenabled(step: OwnedStep): Promise<PracticeRecord> {
    return recordKeyReenabled(this.table, step);
  }

  /** `announce`: the event written beside the outcome (outbox-writes.ts). */
  markActive(
    step: OwnedStep & { readonly expectedVersion: number; readonly announce?: Announce },
  ): Promise<PracticeRecord> {
    return markActive(this.table, step);
  }

  markFailed(
    step: OwnedStep & {
      readonly reason: string;
      readonly keyDisabled?: boolean;
      readonly announce?: Announce;
    },
  ): Promise<PracticeRecord> {
    return markFailed(this.table, step);
  }

  // ── Offboarding (offboarding-writes.ts) ────────────────────────────────────────────────────────────────

  startOffboarding(request: OffboardingStartRequest): Promise<OffboardingStart> {
    return startOffboarding(this.table, request);
  }

  recordOffboardingKeyDisabled(
    step: OwnedStep & { readonly keyMissingInPortal: boolean; readonly portalKeyStatus?: string },
  ): Promise<PracticeRecord> {
    return recordOffboardingKeyDisabled(this.table, step);
  }

  completeOffboarding(step: OwnedStep & { readonly announce?: Announce }): Promise<PracticeRecord> {
    return completeOffboarding(this.table, step);
  }

  restoreAfterFailedOffboarding(step: OwnedStep & { readonly reason: string }): Promise<OffboardingRestore> {
    return restoreAfterFailedOffboarding(this.table, step);
  }
}
