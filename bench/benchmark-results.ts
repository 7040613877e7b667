// Assembles the phases' measurements, the ASL paths and the costs into bench/results.json's shape.
import * as os from "node:os";
import { type AslPath, aslPath } from "./asl-path.js";
import { type PriceSheet, US_EAST_1_PRICES } from "./aws-prices.js";
import type { BenchmarkConfig } from "./benchmark-config.js";
import { type CostBreakdown, costPer1000, reconciliationRunUsd } from "./cost-model.js";
import type { HappyPathPhase, PhaseResults } from "./phases.js";

/** Both workflows' happy path: the claim finds the practice free (`$.outcome` = "claimed") and no Task fails. */
export const HAPPY_PATH_CHOICES = { "$.outcome": "claimed" } as const;

export interface BenchmarkResults {
  readonly generatedAt: string;
  readonly config: BenchmarkConfig;
  readonly machine: {
    readonly node: string;
    readonly platform: string;
    readonly cpu: string;
    readonly cpus: number;
  };
  readonly prices: PriceSheet;
  /** 1-minute load average at the start and end of each phase (this machine is shared; timings vary with it). */
  readonly load: NonNullable<PhaseResults["load"]>;
  readonly happyPath?: HappyPathPhase & {
    readonly aslPath: { readonly onboarding: AslPath; readonly offboarding: AslPath };
    readonly costPer1000: { readonly onboarding: CostBreakdown; readonly offboarding: CostBreakdown };
  };
  readonly latency?: PhaseResults["latency"];
  readonly throughput?: PhaseResults["throughput"];
  readonly reconciliation?: ReadonlyArray<
    NonNullable<PhaseResults["reconciliation"]>[number] & { readonly costPerRunUsd: number }
  >;
}

export function assembleResults(
  config: BenchmarkConfig,
  phases: PhaseResults,
  prices: PriceSheet = US_EAST_1_PRICES,
): BenchmarkResults {
  const cpus = os.cpus();
  const happy = phases.happyPath;
  return {
    generatedAt: new Date().toISOString(),
    config,
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpu: cpus[0]?.model ?? "unknown",
      cpus: cpus.length,
    },
    prices,
    load: phases.load ?? {},
    ...(happy
      ? {
          happyPath: {
            ...happy,
            aslPath: {
              onboarding: aslPath(happy.definitions.onboarding, HAPPY_PATH_CHOICES),
              offboarding: aslPath(happy.definitions.offboarding, HAPPY_PATH_CHOICES),
            },
            costPer1000: {
              onboarding: costPer1000({
                counts: happy.onboarding,
                prices,
                webhook: { ...happy.webhookFunction, ms: happy.onboarding.medianWebhookMs },
              }),
              offboarding: costPer1000({ counts: happy.offboarding, prices }),
            },
          },
        }
      : {}),
    ...(phases.latency ? { latency: phases.latency } : {}),
    ...(phases.throughput ? { throughput: phases.throughput } : {}),
    ...(phases.reconciliation
      ? {
          reconciliation: phases.reconciliation.map((run) => ({
            ...run,
            costPerRunUsd: reconciliationRunUsd(run, prices),
          })),
        }
      : {}),
  };
}
