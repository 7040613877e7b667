// A practice record: its type, and the one mapping between it and the table item (every reader goes through
// `practiceFromItem`, so no reader can miss a field another one sees).
import { keys, type PracticeStatus, STATUS_INDEX_PK, STATUS_INDEX_SK } from "../../contracts/table-schema.js";
import { isEncryptedCustomerKey } from "../key-custody/key-cipher.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { currentMaskedKey, maskByFingerprint, maskCustomerKey } from "../key-custody/masked-key.js";
import { ConfigurationError } from "../platform/errors.js";
import { maskKeyTail, redactCustomerKeys } from "../platform/mask.js";
import type { KeyInstallation } from "./key-installation.js";
import { pickDefined } from "./practice-table.js";

/** How an onboarding got its key: a new one, or (returning practice) possibly its old one re-enabled. */
export type OnboardingKind = "new" | "returning";
/** How the key of an ACTIVE practice came to be: created by its onboarding, or its old key re-enabled. */
export type KeyOrigin = "created" | "reenabled";

/** A practice as the table holds it. `customerKey` is secret: mask it (`maskedKey`) for anything shown. */
export interface PracticeRecord {
  readonly practiceId: string;
  readonly devRefId: string;
  readonly status: PracticeStatus;
  /** Optimistic-locking counter, +1 on every change. */
  readonly version: number;
  /** Execution that moved the practice to its current status; the owner while ONBOARDING/OFFBOARDING. */
  readonly lastExecution: string;
  /** Who asked for the current status (`crm-webhook:<id>`, `ops:<user>`, `reconciler`). */
  readonly requestedBy: string;
  readonly onboardingKind?: OnboardingKind;
  /** The practice's key. Full value: never log or return it. */
  readonly customerKey?: string;
  readonly maskedKey?: string;
  /** The key's keyed fingerprint: its ledger address, carried here so no later step needs the secret (§4). */
  readonly keyFingerprint?: KeyFingerprint;
  /** Execution that created (or re-enabled) `customerKey`. */
  readonly keyCreatedBy?: string;
  /** Set when the practice became ACTIVE: `reenabled` when its key is the one it had before (a returning practice). */
  readonly keyOrigin?: KeyOrigin;
  /** Returning practice: the key it had when offboarded, to re-enable if the portal allows. */
  readonly previousCustomerKey?: string;
  readonly previousKeyFingerprint?: KeyFingerprint;
  readonly previousMaskedKey?: string;
  readonly failureReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly activatedAt?: string;
  readonly failedAt?: string;
  readonly offboardedAt?: string;
  /** The latest offboarding of this practice: why, by whom, what happened to its key (offboarding-writes.ts). */
  readonly offboarding?: OffboardingDetails;
  /** The office installed its key in Open Dental, as reconciliation saw it (key-installation.ts). */
  readonly installation?: KeyInstallation;
  /**
   * When the latest status change was recorded (a claim, an outcome, a compensation): a lifecycle request
   * issued at or before it is stale (request-order.ts). Absent on records last changed before the rule existed.
   */
  readonly lastTransitionAt?: string;
}

/** What the practice was when an offboarding claimed it: put back if the offboarding fails. */
export interface StatusBeforeOffboarding {
  readonly status: PracticeStatus;
  readonly lastExecution: string;
  readonly requestedBy: string;
}

/** The latest offboarding, kept on the practice record (a returning practice keeps it as history). */
export interface OffboardingDetails {
  readonly executionName: string;
  /** Audit actor, e.g. `ops:alice`. */
  readonly requestedBy: string;
  readonly reason: string;
  readonly startedAt: string;
  readonly previous: StatusBeforeOffboarding;
  /** When the portal confirmed the key disabled, or answered that it does not know it. */
  readonly keyDisabledAt?: string;
  /** The portal answered 404/410 for the key: nothing left to disable. */
  readonly keyMissingInPortal?: boolean;
  /** KeyStatus the portal answered to the disabling PUT (DisabledByHQ stays DisabledByHQ). */
  readonly portalKeyStatus?: string;
  readonly completedAt?: string;
  /** Set when the offboarding failed and the practice was put back to `previous.status`. */
  readonly failedAt?: string;
  readonly failureReason?: string;
}

/** Every attribute of a practice record, in the order of the interface above. */
export const PRACTICE_ATTRIBUTES = [
  "practiceId",
  "devRefId",
  "status",
  "version",
  "lastExecution",
  "requestedBy",
  "onboardingKind",
  "customerKey",
  "maskedKey",
  "keyFingerprint",
  "keyCreatedBy",
  "keyOrigin",
  "previousCustomerKey",
  "previousKeyFingerprint",
  "previousMaskedKey",
  "failureReason",
  "createdAt",
  "updatedAt",
  "activatedAt",
  "failedAt",
  "offboardedAt",
  "offboarding",
  "installation",
  "lastTransitionAt",
] as const satisfies readonly (keyof PracticeRecord)[];

/**
 * The ledger address of the key a record holds, stored when the key was (the function holding the record needs
 * no fingerprint secret). Records written before key custody have none until `ops migrate-keys` ran.
 */
export function fingerprintOfRecord(record: PracticeRecord): KeyFingerprint {
  if (!record.keyFingerprint)
    throw new ConfigurationError(
      `practice ${record.practiceId}'s key has no fingerprint: run \`ops migrate-keys\` first`,
    );
  return record.keyFingerprint;
}

/** The record a table item holds (key attributes and index attributes left out). */
export function practiceFromItem(item: Record<string, unknown>): PracticeRecord {
  return pickDefined<PracticeRecord>(item, PRACTICE_ATTRIBUTES);
}

/** The table item of a new record: its key, its place in the sparse status index, its attributes. */
export function practiceItem(record: PracticeRecord): Record<string, unknown> {
  return { ...keys.practice(record.practiceId), ...statusIndexOf(record), ...record };
}

/** The sparse status index: only practice records carry these. */
function statusIndexOf(record: Pick<PracticeRecord, "status" | "practiceId">) {
  return { [STATUS_INDEX_PK]: record.status, [STATUS_INDEX_SK]: record.practiceId };
}

/** Longest failure reason kept on the record and in the audit trail. */
const MAX_REASON_LENGTH = 1000;

/** Reasons come from portal messages and error text: keep them short and free of anything key-shaped. */
export function sanitizeReason(reason: string): string {
  const clean = redactCustomerKeys(reason).trim();
  return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH - 1)}…` : clean;
}

/**
 * The record's key as every output shows it (`…W2HD #3f9a1c`, docs/architecture.md §4 invariant 13): its stored
 * masked form (an old `QJXZ…W2HD` one read in the new form), else made from the key and its fingerprint.
 */
export function shownKeyOf(record: PracticeRecord): string {
  return shownKey(record.maskedKey, record.customerKey, record.keyFingerprint);
}

/** The returning practice's previous key, as shownKeyOf shows the current one. */
export function shownPreviousKeyOf(record: PracticeRecord): string {
  return shownKey(record.previousMaskedKey, record.previousCustomerKey, record.previousKeyFingerprint);
}

function shownKey(stored: unknown, key: string | undefined, fingerprint: KeyFingerprint | undefined): string {
  const current = currentMaskedKey(stored, fingerprint);
  if (current) return current;
  if (!key) return "…";
  // A ciphertext has no tail to show: the fingerprint alone tells it apart (§4 invariant 13).
  if (isEncryptedCustomerKey(key)) return fingerprint ? maskByFingerprint(fingerprint) : "(encrypted key)";
  return fingerprint ? maskCustomerKey(key, fingerprint) : maskKeyTail(key);
}
