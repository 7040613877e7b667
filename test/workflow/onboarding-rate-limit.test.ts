// 20 onboardings at once against a portal that refuses anything over 1 request/second.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OnboardingHarness, startOnboardingHarness } from "../support/onboarding-harness.js";

let h: OnboardingHarness;

beforeAll(async () => {
  h = await startOnboardingHarness({ maxRps: 1, simulatorMaxRps: 1 });
});
afterAll(() => h?.close());

describe("Onboarding workflow under the account-wide rate limit", () => {
  it("onboards 20 practices started at once with zero requests over 1 per second", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `rate-${String(i + 1).padStart(2, "0")}`);
    const results = await Promise.all(ids.map((practiceId) => h.run({ practiceId })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill("SUCCEEDED"));
    expect((await h.store.listPractices({ status: "ACTIVE" })).map((p) => p.practiceId)).toEqual(ids);
    expect(
      h.simulator
        .keys()
        .map((k) => k.DevRefId)
        .sort(),
    ).toEqual(ids);
    const stats = h.simulator.stats();
    expect({
      rateLimited: stats.rateLimited,
      maxInAnyWindow: stats.maxInAnyWindow,
      requests: stats.requests,
    }).toEqual({
      rateLimited: 0,
      maxInAnyWindow: 1,
      requests: 40,
    });
  }, 180_000);
});
