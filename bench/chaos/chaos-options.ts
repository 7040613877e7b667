// What a chaos run does and how hard it shakes the system: the full configuration (`npm run chaos`) and the
// small one `npm test` runs.

import { rateLimitIntervalMs } from "../../functions/portal/portal-rate-limiter.js";
import type { PortalSimulatorFaults } from "../../local/portal-simulator.js";

export interface ChaosOptions {
  /** Seeds the driver's choices and the simulator's fault dice; the same seed gives the same plan. */
  readonly seed: number;
  /** Distinct practices onboarded through signed webhooks. */
  readonly onboardings: number;
  /** ACTIVE practices offboarded through the Offboarding state machine while onboardings still run. */
  readonly offboardings: number;
  /** Share of practices whose delivery is sent a second time with the same `webhook-id`. */
  readonly duplicateRate: number;
  /** Share of practices that get a second delivery (another `webhook-id`) at nearly the same moment. */
  readonly concurrentPairRate: number;
  /** Faults the simulator injects for the whole run (the outage is separate). */
  readonly faults: Partial<PortalSimulatorFaults>;
  /**
   * Times, at random moments, the next POST or PUT is refused with 400 (not retryable), so compensation and the
   * offboarding's restore run — the injected 5xx and 429 are retried away and rarely reach them.
   */
  readonly forcedRejections: number;
  /** A full portal outage this long, starting in the middle of the deliveries. 0 → none. */
  readonly outageMs: number;
  /** Pre-existing portal keys (labeled and unlabeled, some disabled) that must never change. */
  readonly preExistingKeys: number;
  /**
   * Keys made by hand in the Developer Portal the day of the run: enabled, unlabeled, half of them installed —
   * the shape of a lost POST's key. Never changed; the ones reconciliation lists as candidates are released by
   * the operator (`ops release-key`'s function) before a second repair (issue 14).
   */
  readonly handMadeKeys: number;
  /** Times, at random moments, the next POST is answered 429, 400 or 401: answers that certainly created nothing. */
  readonly postRefusals: number;
  /** Offboardings repeated on practices already offboarded (idempotency: SUCCEEDED, no portal call). */
  readonly repeatedOffboardings: number;
  /** Offboarded practices onboarded again (they must get their old key back, re-enabled). */
  readonly returningPractices: number;
  /** Account-wide portal budget (PORTAL_MAX_RPS); the simulator refuses anything over it with 429. */
  readonly portalMaxRps: number;
  /** Fixed pause between Step Functions retries, in ms (the definitions' 2 s × 2ⁿ, shortened). */
  readonly retryIntervalMs: number;
  /** Deliveries are sent at random moments within this window. @default derived from the size and the rate */
  readonly deliveryWindowMs?: number;
  /**
   * Share (0–1) of PutEvents entries the local bus refuses while the deliveries are sent, and how long: the
   * outbox must still deliver every recorded outcome's event. 0 → none.
   */
  readonly eventBusRejectFraction: number;
  readonly eventBusFaultMs: number;
  /** Reconciliation runs with the portal's faults off: it is "the next run", after the incident. */
  readonly reconcileWithFaults: boolean;
  /** Progress lines (never secrets). */
  readonly log?: (line: string) => void;
}

/** 10% 5xx, 5% throttling, 2% commit-then-drop and 0–300 ms latency jitter, as issue 8 asks. */
export const CHAOS_FAULTS: Partial<PortalSimulatorFaults> = {
  errorRate: 0.1,
  throttleRate: 0.05,
  commitThenDropRate: 0.02,
  latencyMs: 5,
  latencyJitterMs: 300,
};

/** `npm run chaos`: 200 onboardings, 50 offboardings, a 30-second outage. */
export const FULL_CHAOS: Omit<ChaosOptions, "seed"> = {
  onboardings: 200,
  offboardings: 50,
  duplicateRate: 0.15,
  concurrentPairRate: 0.1,
  faults: CHAOS_FAULTS,
  outageMs: 30_000,
  forcedRejections: 12,
  preExistingKeys: 30,
  handMadeKeys: 20,
  postRefusals: 12,
  repeatedOffboardings: 5,
  returningPractices: 5,
  portalMaxRps: 20,
  retryIntervalMs: 500,
  reconcileWithFaults: false,
  eventBusRejectFraction: 0.2,
  eventBusFaultMs: 60_000,
};

/** The configuration `npm test` runs: same faults, smaller, a 5-second outage. */
export const SMALL_CHAOS: Omit<ChaosOptions, "seed"> = {
  ...FULL_CHAOS,
  onboardings: 30,
  offboardings: 8,
  outageMs: 5_000,
  forcedRejections: 4,
  handMadeKeys: 8,
  postRefusals: 6,
  repeatedOffboardings: 2,
  returningPractices: 2,
  eventBusFaultMs: 15_000,
};

/**
 * Portal calls one onboarding makes on average under these faults (POST + PUT, plus retries), used to spread the
 * deliveries over about as long as the portal needs for them, so the outage lands while work is in flight.
 */
const CALLS_PER_ONBOARDING = 2.6;

/** Rate the rate limiter really keeps at `maxRps` (its safety margin included; see portal-rate-limiter.ts). */
export function effectivePortalRps(maxRps: number): number {
  return 1000 / rateLimitIntervalMs(maxRps);
}

/** The delivery window: the option, or about 80% of the time the portal needs for the onboardings. */
export function deliveryWindowMs(options: ChaosOptions): number {
  if (options.deliveryWindowMs !== undefined) return options.deliveryWindowMs;
  const portalSeconds =
    (options.onboardings * CALLS_PER_ONBOARDING) / effectivePortalRps(options.portalMaxRps);
  return Math.round(portalSeconds * 800);
}

/** Throws naming the first option out of range. */
export function validateChaosOptions(options: ChaosOptions): void {
  const whole = (name: keyof ChaosOptions, min: number) => {
    const value = options[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < min)
      throw new Error(`${name} must be a whole number of at least ${min}, got ${String(value)}`);
  };
  const rate = (name: keyof ChaosOptions) => {
    const value = options[name];
    if (typeof value !== "number" || !(value >= 0 && value <= 1))
      throw new Error(`${name} must be a number from 0 to 1, got ${String(value)}`);
  };
  whole("seed", 0);
  whole("onboardings", 1);
  whole("offboardings", 0);
  whole("outageMs", 0);
  whole("forcedRejections", 0);
  whole("preExistingKeys", 0);
  whole("handMadeKeys", 0);
  whole("postRefusals", 0);
  whole("repeatedOffboardings", 0);
  whole("returningPractices", 0);
  whole("portalMaxRps", 1);
  whole("retryIntervalMs", 1);
  rate("duplicateRate");
  rate("concurrentPairRate");
  if (options.offboardings > options.onboardings)
    throw new Error(
      `offboardings (${options.offboardings}) cannot exceed onboardings (${options.onboardings})`,
    );
  if (options.repeatedOffboardings > options.offboardings)
    throw new Error("repeatedOffboardings cannot exceed offboardings");
  if (options.returningPractices > options.offboardings)
    throw new Error("returningPractices cannot exceed offboardings");
}
