// Starts simulators for a test file and stops them after each test; builds clients pointed at them.
import { afterEach } from "vitest";
import { createPortalClient, type PortalClientOptions } from "../../functions/portal/portal-client.js";
import type { PortalClient } from "../../functions/portal/portal-types.js";
import {
  type PortalSimulator,
  type PortalSimulatorOptions,
  startPortalSimulator,
} from "../../local/portal-simulator.js";

/** The day every test simulator believes it is, so dates in answers are exact. */
export const TODAY = "2025-06-12";
export const FIXED_NOW = () => new Date(`${TODAY}T10:00:00Z`);

/** Call once per test file: returns `start`, whose simulators are stopped after each test. */
export function useSimulators(): (options?: PortalSimulatorOptions) => Promise<PortalSimulator> {
  const running: PortalSimulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.stop()));
  });
  return async (options = {}) => {
    const sim = await startPortalSimulator({ now: FIXED_NOW, ...options });
    running.push(sim);
    return sim;
  };
}

/** A client for `sim` with its own credentials, unless `overrides` say otherwise. */
export function clientFor(sim: PortalSimulator, overrides: Partial<PortalClientOptions> = {}): PortalClient {
  return createPortalClient({ baseUrl: sim.url, credentials: async () => sim.credentials, ...overrides });
}

/** The `Authorization` header the simulator accepts. */
export function authHeader(sim: PortalSimulator): string {
  return `ODFHIR ${sim.credentials.developerKey}/${sim.credentials.developerPortalKey}`;
}

/** Awaits a promise expected to reject, and returns the rejection. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("Expected the promise to reject, but it resolved");
}
