// The benchmark's quick configuration, run in-process: the counts it reports are the counts the workflows imply.
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { aslPath } from "../../bench/asl-path.js";
import { US_EAST_1_PRICES } from "../../bench/aws-prices.js";
import { QUICK_CONFIG } from "../../bench/benchmark-config.js";
import { assembleResults, HAPPY_PATH_CHOICES } from "../../bench/benchmark-results.js";
import { type HappyPathPhase, runPhase } from "../../bench/phases.js";

describe("benchmark (quick configuration)", () => {
  let happy: HappyPathPhase;

  beforeAll(async () => {
    const results = await runPhase("happyPath", QUICK_CONFIG);
    happy = results.happyPath!;
  }, 240_000);

  it("counts exactly 2 portal calls per happy-path onboarding: POST then PUT", () => {
    expect(happy.onboarding.portalCalls).toBe(2);
    expect(happy.onboarding.portalRequests).toEqual([
      "POST /api/v1/apikeys → 201",
      "PUT /api/v1/apikeys → 200",
    ]);
  });

  it("counts exactly 2 portal calls per happy-path offboarding: the status read (a revoked key gets no PUT), then the disabling PUT", () => {
    expect(happy.offboarding.portalCalls).toBe(2);
    expect(happy.offboarding.portalRequests).toEqual([
      "GET /api/v1/apikeys?Offset=0&Limit=100 → 200",
      "PUT /api/v1/apikeys → 200",
    ]);
  });

  it("counts the onboarding's states, transitions and Lambda invocations the ASL happy path implies", () => {
    const path = aslPath(happy.definitions.onboarding, HAPPY_PATH_CHOICES);
    expect(happy.onboarding.statesEntered).toEqual(path.states);
    expect(happy.onboarding.stateTransitions).toBe(path.stateTransitions);
    expect(happy.onboarding.lambdaInvocations).toBe(path.lambdaInvocations);
    expect(happy.onboarding.failedInvocations).toBe(0);
    expect(happy.onboarding.webhookInvocations).toBe(1);
  });

  it("counts the offboarding's states, transitions and Lambda invocations the ASL happy path implies", () => {
    const path = aslPath(happy.definitions.offboarding, HAPPY_PATH_CHOICES);
    expect(happy.offboarding.statesEntered).toEqual(path.states);
    expect(happy.offboarding.stateTransitions).toBe(path.stateTransitions);
    expect(happy.offboarding.lambdaInvocations).toBe(path.lambdaInvocations);
    expect(happy.offboarding.failedInvocations).toBe(0);
  });

  it("takes every DynamoDB request unit from DynamoDB Local's ConsumedCapacity, none assumed", () => {
    for (const counts of [happy.onboarding, happy.offboarding]) {
      expect(counts.dynamoDb.unitsAssumed).toBe(0);
      expect(counts.dynamoDb.readRequests + counts.dynamoDb.writeRequests).toBeGreaterThan(0);
    }
  });

  it("counts and prices the custody key's KMS requests: the onboarding encrypts its key once and opens it once to label it, the offboarding opens it once to disable it", () => {
    expect(happy.onboarding.kmsCalls).toBe(2);
    expect(happy.offboarding.kmsCalls).toBe(1);
    const results = assembleResults(QUICK_CONFIG, { happyPath: happy });
    const kms = results.happyPath!.costPer1000.onboarding.lines.find((line) =>
      line.service.startsWith("KMS"),
    );
    expect(kms?.usdPer1000).toBeCloseTo(2 * US_EAST_1_PRICES.kmsPerRequest * 1000, 10);
  });

  it("reads the portal secret in the first run of a process and not again while it is cached", () => {
    expect(happy.firstInProcess.onboarding.secretsManagerCalls).toBeGreaterThan(0);
    expect(happy.onboarding.secretsManagerCalls).toBe(0);
  });

  it("prices the counted state transitions at $0.025 per 1,000", () => {
    const results = assembleResults(QUICK_CONFIG, { happyPath: happy });
    const line = results.happyPath!.costPer1000.onboarding.lines.find(
      (l) => l.service === "Step Functions (Standard)",
    );
    expect(line?.usdPer1000).toBeCloseTo(
      happy.onboarding.stateTransitions * US_EAST_1_PRICES.stepFunctionsPerStateTransition * 1000,
      10,
    );
  });
});

describe("npm run bench -- --help", () => {
  it("prints the options and exits 0", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "bench/benchmark.ts", "--help"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("--quick");
    expect(result.stdout).toContain("--only <phases...>");
  });
});
