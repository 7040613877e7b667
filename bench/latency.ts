// Section 2: end-to-end latency of one onboarding (webhook → execution end) at each simulated portal latency,
// against the floor — the same portal and DynamoDB requests replayed in sequence — interleaved in one run.
import { randomUUID } from "node:crypto";
import type { BenchStack } from "./bench-stack.js";
import { replayFloor } from "./floor-replay.js";
import { round, type Summary, summarize } from "./statistics.js";

export interface LatencyOptions {
  readonly runs: number;
  readonly portalLatenciesMs: readonly number[];
  readonly progress?: (line: string) => void;
}

export interface LatencyAtPortalLatency {
  readonly portalLatencyMs: number;
  readonly onboardingMs: Summary;
  readonly floorMs: Summary;
  /** median(onboarding) / median(floor). */
  readonly ratioToFloor: number;
  /** Requests in each floor replay (portal + DynamoDB). */
  readonly floorRequests: number;
  readonly floorStatusMismatches: number;
}

export async function measureLatency(
  bench: BenchStack,
  options: LatencyOptions,
): Promise<LatencyAtPortalLatency[]> {
  const samples = new Map(
    options.portalLatenciesMs.map((latency) => [
      latency,
      { workflow: [] as number[], floor: [] as number[], requests: 0, mismatches: 0 },
    ]),
  );
  // Round 0 warms the handler modules and the secret cache; it is not counted.
  for (let round = 0; round <= options.runs; round++) {
    for (const latency of options.portalLatenciesMs) {
      bench.simulator.setFaults({ latencyMs: latency });
      const tag = `${latency}-${String(round).padStart(3, "0")}`;
      const dynamoDbSeq = bench.dynamoDb.nextSeq();
      const portalSeq = bench.portal.nextSeq();
      const run = await bench.onboard(`bench-lat-${tag}`);
      if (run.status !== "SUCCEEDED") throw new Error(`latency run ${tag} ended ${run.status}`);
      const webhookId = executionName(run.executionArn).replace(/^crm-/, "");
      const floor = await replayFloor(
        [
          {
            baseUrl: bench.dynamoDb.url,
            requests: bench.dynamoDb.since(dynamoDbSeq).slice(),
            dynamoDb: true,
          },
          { baseUrl: bench.portal.url, requests: bench.portal.since(portalSeq).slice(), createsKeys: true },
        ],
        [
          [`bench-lat-${tag}`, `bench-flr-${tag}`],
          [webhookId, `msg_${randomUUID().replaceAll("-", "")}`],
        ],
      );
      if (round === 0) continue;
      const entry = samples.get(latency)!;
      entry.workflow.push(run.totalMs);
      entry.floor.push(floor.ms);
      entry.requests = floor.requests;
      entry.mismatches += floor.statusMismatches;
      options.progress?.(
        `  latency ${latency} ms, run ${round}/${options.runs}: onboarding ${Math.round(run.totalMs)} ms, floor ${Math.round(floor.ms)} ms`,
      );
    }
  }
  bench.simulator.setFaults({ latencyMs: 0 });
  return [...samples.entries()].map(([portalLatencyMs, entry]) => {
    const onboardingMs = summarize(entry.workflow);
    const floorMs = summarize(entry.floor);
    return {
      portalLatencyMs,
      onboardingMs,
      floorMs,
      ratioToFloor: round(onboardingMs.median / floorMs.median),
      floorRequests: entry.requests,
      floorStatusMismatches: entry.mismatches,
    };
  });
}

function executionName(executionArn: string): string {
  return executionArn.split(":").at(-1) ?? executionArn;
}
