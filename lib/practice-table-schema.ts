// The practice table's key layout and attribute names, shared by the CDK construct and the runtime code
// so infrastructure and handlers cannot drift. Dependency-free: Lambda bundles import it.

/** Partition and sort key attribute names of the one table. */
export const PK = "pk";
export const SK = "sk";

/** Sparse GSI listing practice records by status (`list --status`, reconciliation of in-between states). */
export const STATUS_INDEX = "byStatus";
export const STATUS_INDEX_PK = "gsiStatus";
export const STATUS_INDEX_SK = "gsiPracticeId";

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
  /** A key we created: key → practice, so one key maps to one practice. Written before anything can fail. */
  customerKey: (customerKey: string) => ({ [PK]: `KEY#${customerKey}`, [SK]: "KEY" }),
  /** A POST /apikeys attempt whose answer may have been lost; reconciliation resolves it. */
  createAttempt: (practiceId: string, executionName: string) => ({
    [PK]: `PRACTICE#${practiceId}`,
    [SK]: `ATTEMPT#${executionName}`,
  }),
  attemptPrefix: "ATTEMPT#",
  /** The shared portal rate-limiter state. */
  portalRateLimiter: (name = "portal") => ({ [PK]: `RATE#${name}`, [SK]: "LIMITER" }),
  /** A reconciliation run: summary item and its findings, chunked. */
  reconciliationRun: (runId: string) => ({ [PK]: `RECON#${runId}`, [SK]: "SUMMARY" }),
  reconciliationFindings: (runId: string, chunk: number) => ({
    [PK]: `RECON#${runId}`,
    [SK]: `FINDINGS#${String(chunk).padStart(6, "0")}`,
  }),
  reconciliationFindingsPrefix: "FINDINGS#",
} as const;

/** Lifecycle of a practice record. ONBOARDING and OFFBOARDING are the in-between states. */
export const PRACTICE_STATUSES = ["ONBOARDING", "ACTIVE", "FAILED", "OFFBOARDING", "OFFBOARDED"] as const;
export type PracticeStatus = (typeof PRACTICE_STATUSES)[number];
