// The public shapes of the portal simulator: its options, the in-process handle and what it reports. Apart from
// portal-simulator.ts so the control routes can drive the handle without an import circle.
import type { PortalCredentials } from "../functions/portal/portal-types.js";
import type { PortalSimulatorFaults, QueuedFault } from "./portal-simulator-faults.js";
import type { SimulatorKey, SimulatorRawKey } from "./portal-simulator-keys.js";

/** How error explanations are written; the real portal's format is undocumented, so all three are tried. */
export type ErrorBodyStyle = "json-string" | "text" | "json-object";

export interface PortalSimulatorOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Path the API lives under, like the real `/api/v1`. @default "/api/v1" */
  basePath?: string;
  /** @default DEFAULT_SIMULATOR_CREDENTIALS */
  credentials?: PortalCredentials;
  /** Keys present at start (and after reset), portal-shaped; missing fields get a new key's defaults. */
  seedKeys?: Array<Partial<SimulatorRawKey>>;
  /** At most this many requests in any sliding 1-second window; over it, 429. @default unlimited */
  maxRequestsPerSecond?: number;
  faults?: Partial<PortalSimulatorFaults>;
  /** Seed of the PRNG behind generated keys and random faults. @default 1 */
  random?: number;
  /** Clock for dates and call times. @default () => new Date() */
  now?: () => Date;
  /** Monotonic milliseconds for the rate-limit window, so tests can place requests exactly. @default performance.now */
  monotonicNow?: () => number;
  /** @default "json-string" */
  errorBodyStyle?: ErrorBodyStyle;
}

/** One request the simulator received (control routes excluded). */
export interface SimulatorCall {
  seq: number;
  /** ISO time of arrival. */
  at: string;
  method: string;
  /** Path and query as received. */
  path: string;
  /** Status answered, or null when none was (timeout, drop, client gone). */
  status: number | null;
  /** Why the answer was not the normal one: `rateLimit`, `outage`, `queued:timeout`, `random:error 503`… */
  fault?: string;
  /** The key the request touched, masked. */
  keyMasked?: string;
}

export interface SimulatorStats {
  requests: number;
  /** Count per status answered; `"none"` for requests that got no answer. */
  byStatus: Record<string, number>;
  /** Requests refused with 429 by the rate limit (not by injected throttling). */
  rateLimited: number;
  /** Most requests that arrived in any sliding 1-second window, refused ones included. */
  maxInAnyWindow: number;
}

export interface SimulatorState {
  keys: SimulatorKey[];
  calls: SimulatorCall[];
  stats: SimulatorStats;
  faults: PortalSimulatorFaults;
  queuedFaults: QueuedFault[];
  maxRequestsPerSecond: number | null;
}

export interface GenerateKeysOptions {
  status?: string;
  /** `{n}` becomes the key's 1-based number in the batch. */
  devRefId?: string;
}

export interface PortalSimulator {
  /** Base URL of the API, basePath included: `http://127.0.0.1:PORT/api/v1`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`; control routes live at `/_simulator/…` under it. */
  readonly origin: string;
  readonly credentials: PortalCredentials;
  keys(): SimulatorKey[];
  calls(): SimulatorCall[];
  stats(): SimulatorStats;
  state(): SimulatorState;
  addKeys(raw: Array<Partial<SimulatorRawKey>>): SimulatorRawKey[];
  generateKeys(count: number, options?: GenerateKeysOptions): SimulatorRawKey[];
  /** The office installs `customerKey` in Open Dental: DateTimeAssigned becomes `at` (default now, UTC). */
  assignKey(customerKey: string, at?: string): SimulatorRawKey;
  setFaults(partial: Partial<PortalSimulatorFaults>): PortalSimulatorFaults;
  setRateLimit(maxRequestsPerSecond: number | undefined): void;
  queueFaults(...faults: QueuedFault[]): void;
  /** Drops the queued faults not yet applied. */
  clearQueuedFaults(): void;
  /** Back to the starting state: seed keys (empty history), starting faults and limit, no calls, PRNG reseeded. */
  reset(): void;
  stop(): Promise<void>;
}
