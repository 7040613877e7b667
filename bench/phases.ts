// One benchmark section on a local stack of its own. Each section wants its own PORTAL_MAX_RPS, and handler
// modules read their configuration once per process, so the CLI runs every phase in a fresh process.
import { rateLimitIntervalMs } from "../functions/portal/portal-rate-limiter.js";
import { type FunctionProfile, startBenchStack } from "./bench-stack.js";
import type { BenchmarkConfig } from "./benchmark-config.js";
import { countsOf, runHappyPath, type WorkflowCounts } from "./happy-path.js";
import { type LatencyAtPortalLatency, measureLatency } from "./latency.js";
import { silenceOutput } from "./quiet-output.js";
import { measureReconciliation, type ReconciliationScaleResult } from "./reconciliation-scale.js";
import { measureThroughput, type ThroughputResult } from "./throughput.js";

export const PHASES = ["happyPath", "latency", "throughput", "reconciliation"] as const;
export type PhaseName = (typeof PHASES)[number];

export interface HappyPathPhase {
  readonly portalMaxRps: number;
  readonly onboarding: WorkflowCounts;
  readonly offboarding: WorkflowCounts;
  /** The first pair in a fresh process: module loading and the first secret fetches. */
  readonly firstInProcess: { readonly onboarding: WorkflowCounts; readonly offboarding: WorkflowCounts };
  readonly webhookFunction: FunctionProfile;
  /** ASL definitions of the workflows, so the report can show the path they imply. */
  readonly definitions: { readonly onboarding: unknown; readonly offboarding: unknown };
}

export interface LatencyPhase {
  readonly portalMaxRps: number;
  readonly results: readonly LatencyAtPortalLatency[];
}

/** One entry per rate (each measured in a fresh process by the CLI). */
export type ThroughputPhase = ThroughputResult[];

/** One entry per key count (each measured in a fresh process by the CLI). */
export type ReconciliationPhase = ReconciliationScaleResult[];

export interface PhaseResults {
  happyPath?: HappyPathPhase;
  latency?: LatencyPhase;
  throughput?: ThroughputPhase;
  reconciliation?: ReconciliationPhase;
  /** The machine's 1-minute load average when each phase started and ended (timings are only as calm as it). */
  load?: Record<string, { readonly start: number; readonly end: number }>;
}

/** Practices onboarded through the real workflow before a reconciliation (the rest of the keys are not ours). */
const RECONCILIATION_PRACTICES = 3;

export async function runPhase(
  phase: PhaseName,
  config: BenchmarkConfig,
  progress: (line: string) => void = () => undefined,
): Promise<PhaseResults> {
  const output = silenceOutput();
  const say = (line: string) => {
    output.progress(line);
    progress(line);
  };
  const portalMaxRps = {
    happyPath: config.happyPathPortalMaxRps,
    latency: config.latencyPortalMaxRps,
    throughput: config.throughput[0]?.portalMaxRps ?? 1,
    reconciliation: config.reconciliationPortalMaxRps,
  }[phase];
  try {
    say(`[${phase}] starting a local stack (PORTAL_MAX_RPS=${portalMaxRps})`);
    if (phase === "throughput") {
      // The simulator enforces the same limit, in a process of its own as the portal would be: its arrival times
      // are then not skewed by the engine's busy thread.
      const bench = await startBenchStack({
        portalMaxRps,
        simulatorMaxRps: portalMaxRps,
        recordRequests: false,
        simulatorProcess: true,
      });
      try {
        // The stack runs at one rate: the CLI gives each rate a process of its own.
        const results: ThroughputResult[] = [];
        for (const run of config.throughput.filter((r) => r.portalMaxRps === portalMaxRps)) {
          results.push(
            await measureThroughput(bench, { onboardings: run.onboardings, portalMaxRps, progress: say }),
          );
        }
        return { throughput: results };
      } finally {
        await bench.stop();
      }
    }
    const bench = await startBenchStack({ portalMaxRps });
    try {
      switch (phase) {
        case "happyPath": {
          const samples = await runHappyPath(bench, {
            runs: config.happyPathRuns,
            idleGapMs: rateLimitIntervalMs(portalMaxRps) + 1000,
            logBytes: output.bytesWritten,
            progress: say,
          });
          const definition = (arn: string) =>
            JSON.parse(bench.stack.engine.describeStateMachine(arn).definition ?? "{}") as unknown;
          return {
            happyPath: {
              portalMaxRps,
              onboarding: countsOf(samples.onboarding, bench.outboxDeliveryFunction),
              offboarding: countsOf(samples.offboarding, bench.outboxDeliveryFunction),
              firstInProcess: {
                onboarding: countsOf([samples.firstInProcess.onboarding], bench.outboxDeliveryFunction),
                offboarding: countsOf([samples.firstInProcess.offboarding], bench.outboxDeliveryFunction),
              },
              webhookFunction: bench.webhookFunction,
              definitions: {
                onboarding: definition(bench.stateMachineArns.onboarding),
                offboarding: definition(bench.stateMachineArns.offboarding),
              },
            },
          };
        }
        case "latency":
          return {
            latency: {
              portalMaxRps,
              results: await measureLatency(bench, {
                runs: config.latencyRuns,
                portalLatenciesMs: config.portalLatenciesMs,
                progress: say,
              }),
            },
          };
        case "reconciliation": {
          const results: ReconciliationScaleResult[] = [];
          for (const keys of config.reconciliationKeys) {
            results.push(
              await measureReconciliation(bench, {
                keys,
                practices: RECONCILIATION_PRACTICES,
                portalMaxRps,
                progress: say,
              }),
            );
          }
          return { reconciliation: results };
        }
      }
    } finally {
      await bench.stop();
    }
  } finally {
    output.restore();
  }
}
