// 20 onboardings at once against a portal that refuses anything over 1 request/second. The simulator runs in its
// own process, as the portal would: its arrival times are not skewed by this process's busy event loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OnboardingHarness, startOnboardingHarness } from "../support/onboarding-harness.js";
import {
  SIMULATOR_PROCESS_CREDENTIALS,
  type SimulatorProcess,
  startSimulatorProcess,
} from "../support/simulator-process.js";

let h: OnboardingHarness;
let portal: SimulatorProcess;

beforeAll(async () => {
  portal = await startSimulatorProcess(["--rps", "1"]);
  h = await startOnboardingHarness({
    maxRps: 1,
    externalPortal: { url: portal.url, credentials: SIMULATOR_PROCESS_CREDENTIALS },
  });
});
afterAll(async () => {
  await h?.close();
  await portal?.stop();
});

describe("Onboarding workflow under the account-wide rate limit", () => {
  it("onboards 20 practices started at once with zero requests over 1 per second", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `rate-${String(i + 1).padStart(2, "0")}`);
    const results = await Promise.all(ids.map((practiceId) => h.run({ practiceId })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill("SUCCEEDED"));
    expect((await h.store.listPractices({ status: "ACTIVE" })).map((p) => p.practiceId)).toEqual(ids);
    expect((await portal.control.keys()).map((k) => k.DevRefId).sort()).toEqual(ids);
    const stats = await portal.control.stats();
    const arrivals = (await portal.control.calls()).map((c) => Date.parse(c.at)).sort((a, b) => a - b);
    const closest = Math.min(...arrivals.slice(1).map((t, i) => t - arrivals[i]!));
    expect({
      rateLimited: stats.rateLimited,
      maxInAnyWindow: stats.maxInAnyWindow,
      requests: stats.requests,
      closestArrivalsAtLeast1s: closest >= 1000 ? true : closest,
    }).toEqual({ rateLimited: 0, maxInAnyWindow: 1, requests: 40, closestArrivalsAtLeast1s: true });
  }, 180_000);
});
