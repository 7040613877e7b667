// The practice table's key layout and attribute names, shared by the CDK construct and the runtime code
// so infrastructure and handlers cannot drift. Dependency-free: Lambda bundles import it.

/** Partition and sort key attribute names of the one table. */
export const PK = "pk";
export const SK = "sk";

/**
 * Sparse GSI listing practice records by status (`list --status`, reconciliation of in-between states). It
 * projects only STATUS_INDEX_ATTRIBUTES — never a key, not even its ciphertext (docs/architecture.md §4 invariant
 * 13). A projection cannot change on a deployed index, so this one replaced `byStatus` (projection ALL): see the
 * README's upgrade note.
 */
export const STATUS_INDEX = "byStatusWithoutKeys";
/** The index this one replaced; kept only while a deployed table moves over (README "Upgrading"). */
export const LEGACY_STATUS_INDEX = "byStatus";
export const STATUS_INDEX_PK = "gsiStatus";
export const STATUS_INDEX_SK = "gsiPracticeId";

/**
 * Values of STATUS_INDEX_PK on items that are not practice records, so the same sparse index lists them:
 * create attempts whose POST answer was lost, until reconciliation accounts for them (sort key
 * `<practiceId>#<executionName>`), and reconciliation run summaries (sort key `<startedAt>#<runId>`).
 */
export const OPEN_CREATE_ATTEMPT_INDEX = "OPEN_CREATE_ATTEMPT";
export const RECONCILIATION_RUN_INDEX = "RECONCILIATION_RUN";

/**
 * What the status index projects besides the table's and the index's keys: every attribute its readers map (a
 * practice record without `customerKey`/`previousCustomerKey`; a run summary; an open create attempt).
 * test/unit/practice/status-index-projection.test.ts holds it to the readers' attribute lists.
 */
export const STATUS_INDEX_ATTRIBUTES = [
  // Practice records (functions/practice/practice-record.ts), keys left out.
  "practiceId",
  "devRefId",
  "status",
  "version",
  "lastExecution",
  "requestedBy",
  "onboardingKind",
  "maskedKey",
  "keyFingerprint",
  "keyCreatedBy",
  "keyOrigin",
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
  // Reconciliation run summaries (functions/practice/reconciliation-runs.ts).
  "runId",
  "repair",
  "graceMinutes",
  "notYetAssignedDays",
  "startedAt",
  "completedAt",
  "counts",
  "needingAttention",
  "keysListed",
  "pagesListed",
  "practicesChecked",
  "repairs",
  "error",
  // Open create attempts (functions/practice/create-attempts.ts).
  "executionName",
  "attempts",
  "firstAttemptAt",
  "lastAttemptAt",
  "lostResponses",
  "noKeyAnswers",
  "adoptedKeys",
  "lostAt",
] as const;

/** Attribute DynamoDB uses to expire items (rate-limiter bookkeeping, old reconciliation findings). */
export const TTL_ATTRIBUTE = "expiresAt";

/** Item key builders. One place decides how every item is addressed. */
export const keys = {
  /** The practice record: status, devRefId, the key, version. */
  practice: (practiceId: string) => ({ [PK]: `PRACTICE#${practiceId}`, [SK]: "PRACTICE" }),
  /** Append-only audit entry for a practice; `at` is an ISO timestamp so entries sort by time. */
  audit: (practiceId: string, at: string, id: string) => ({
    [PK]: `PRACTICE#${practiceId}`,
    [SK]: `AUDIT#${at}#${id}`,
  }),
  auditPrefix: "AUDIT#",
  /**
   * A key we created: key → practice, so one key maps to one practice. Written before anything can fail.
   * Addressed by the key's keyed fingerprint (64 hex, functions/key-custody/key-fingerprint.ts), never by the
   * key: key attribute values end up in CloudTrail data events (docs/architecture.md §4).
   */
  ledgerEntry: (keyFingerprint: string) => ({ [PK]: `KEY#${keyFingerprint}`, [SK]: "KEY" }),
  /** Partition prefix of ledger entries (and, before `ops migrate-keys`, of the old `KEY#<customerKey>` ones). */
  ledgerPrefix: "KEY#",
  /**
   * An operator's word that an unlabeled key reconciliation took for a possible lost-POST key is not ours
   * (`ops release-key`): never a candidate again. Beside the key's ledger item (same fingerprint), which it excludes.
   */
  releasedKey: (keyFingerprint: string) => ({ [PK]: `KEY#${keyFingerprint}`, [SK]: "RELEASED" }),
  /** A POST /apikeys attempt whose answer may have been lost; reconciliation resolves it. */
  createAttempt: (practiceId: string, executionName: string) => ({
    [PK]: `PRACTICE#${practiceId}`,
    [SK]: `ATTEMPT#${executionName}`,
  }),
  attemptPrefix: "ATTEMPT#",
  /**
   * An execution the claim release has seen end (docs/architecture.md §1): a claim by it that lands later is
   * refused, so a stop during the claim Lambda cannot leave the practice claimed by an ended execution.
   */
  endedExecution: (workflow: "onboarding" | "offboarding", executionName: string) => ({
    [PK]: `EXECUTION#${executionName}`,
    [SK]: `ENDED#${workflow}`,
  }),
  /** The shared portal rate-limiter state. */
  portalRateLimiter: (name = "portal") => ({ [PK]: `RATE#${name}`, [SK]: "LIMITER" }),
  /** A reconciliation run: summary item and its findings, chunked. */
  reconciliationRun: (runId: string) => ({ [PK]: `RECON#${runId}`, [SK]: "SUMMARY" }),
  reconciliationFindings: (runId: string, chunk: number) => ({
    [PK]: `RECON#${runId}`,
    [SK]: `FINDINGS#${String(chunk).padStart(6, "0")}`,
  }),
  reconciliationFindingsPrefix: "FINDINGS#",
  /** A portal key a run saw that some practice may hold (KEY_MISSING lookups); expires with the run's scratch. */
  /** Addressed by the key's fingerprint, like the ledger. */
  reconciliationSeenKey: (runId: string, keyFingerprint: string) => ({
    [PK]: `RECON#${runId}`,
    [SK]: `SEEN#${keyFingerprint}`,
  }),
  /** An unlabeled key that a lost POST may have created; classified once every page is listed. */
  reconciliationCandidate: (runId: string, chunk: number, index: number) => ({
    [PK]: `RECON#${runId}`,
    [SK]: `CANDIDATE#${String(chunk).padStart(6, "0")}#${String(index).padStart(4, "0")}`,
  }),
  reconciliationCandidatePrefix: "CANDIDATE#",
  /** A repair the run planned (holds the full key, so never shown); done in the repair phase. */
  reconciliationAction: (runId: string, chunk: number, index: number) => ({
    [PK]: `RECON#${runId}`,
    [SK]: `ACTION#${String(chunk).padStart(6, "0")}#${String(index).padStart(4, "0")}`,
  }),
  reconciliationActionPrefix: "ACTION#",
  /** One activation link, addressed by the SHA-256 of its token (never the token): the page's lookup. */
  activationLink: (tokenHash: string) => ({ [PK]: `ACTIVATION#${tokenHash}`, [SK]: "LINK" }),
  /** The practice's latest activation link (its token hash): the one link that may still be open. */
  activationPointer: (practiceId: string) => ({ [PK]: `PRACTICE#${practiceId}`, [SK]: "ACTIVATION_LINK" }),
  /** Requests from one source to the activation page in one fixed window (expires with TTL_ATTRIBUTE). */
  activationRateWindow: (source: string, windowStart: number) => ({
    [PK]: `RATE#activation#${source}`,
    [SK]: `WINDOW#${windowStart}`,
  }),
} as const;

/**
 * A link's own expiry (ISO) on its item. Not TTL_ATTRIBUTE: that one holds the epoch seconds at which DynamoDB may
 * delete the item, which for a link is well after it stops working (the page still answers "already used").
 */
export const ACTIVATION_LINK_EXPIRY = "linkExpiresAt";

/** Lifecycle of a practice record. ONBOARDING and OFFBOARDING are the in-between states. */
export const PRACTICE_STATUSES = ["ONBOARDING", "ACTIVE", "FAILED", "OFFBOARDING", "OFFBOARDED"] as const;
export type PracticeStatus = (typeof PRACTICE_STATUSES)[number];

/**
 * The practice-record attributes the CRM webhook may read (its grant names them, with PK and SK): the status and
 * the times the ordering rule compares (functions/practice/request-order.ts). Never the key.
 */
export const PRACTICE_TRANSITION_ATTRIBUTES = [
  "status",
  "lastTransitionAt",
  "activatedAt",
  "failedAt",
  "offboardedAt",
] as const;
