// What the reconciliation steps run on: their dependencies (tests hand in real local clients) and how much one
// invocation may do.

import type { FindingCounts } from "../../contracts/reconciliation-findings.js";
import type { StepLogger } from "../platform/step-logger.js";
import type { PortalClient } from "../portal/portal-types.js";
import type { PracticeStore } from "../practice/practice-store.js";
import type { ReconciliationStore } from "../practice/reconciliation-store.js";
import type { ExecutionLookup } from "./reconciliation-classify.js";

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
  /**
   * Installed keys recorded and announced per invocation (a transaction each): the first run after
   * this feature ships finds every key already installed; the rest wait for the next run.
   */
  readonly installationsPerInvocation: number;
}

export const DEFAULT_LIMITS: ReconciliationLimits = {
  pagesPerInvocation: 10,
  practicesPerInvocation: 500,
  repairsPerInvocation: 10,
  candidatesPerInvocation: 1000,
  timeBudgetMs: 45_000,
  maxPages: 5_000,
  housekeepingPerRun: 500,
  installationsPerInvocation: 200,
};

/** Everything the steps need; tests hand in real local clients. */
export interface ReconciliationDeps {
  /**
   * Only the repair step changes practices (through the store's transitions); the others read them in bulk
   * through `runs`, and do not bundle the store's writes (docs/architecture.md §8).
   */
  readonly store?: PracticeStore;
  readonly runs: ReconciliationStore;
  /** Only the listing and repair steps call the portal. */
  readonly portal?: PortalClient;
  readonly executions?: ExecutionLookup;
  readonly logger?: StepLogger;
  /** Publishes a finished run's counts (Powertools metrics in Lambda). */
  readonly publishMetrics?: (counts: FindingCounts, needingAttention: number) => void;
  /** Publishes KeyTimeToInstall, seconds from onboarded to installed (Powertools metrics in Lambda). */
  readonly recordTimeToInstall?: (seconds: number) => void;
  readonly now?: () => Date;
  readonly limits?: Partial<ReconciliationLimits>;
}

/** The steps log through `deps.logger`, or not at all. */
export const silent: StepLogger = { info() {}, warn() {}, error() {} };

export function limitsOf(deps: ReconciliationDeps): ReconciliationLimits {
  return { ...DEFAULT_LIMITS, ...deps.limits };
}

export function clock(deps: ReconciliationDeps): () => Date {
  return deps.now ?? (() => new Date());
}

/** A dependency only some steps get (the portal, the execution lookup): a clear error when it is missing. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`reconciliation step needs ${what}`);
  return value;
}
