// Section 1: happy-path onboardings and offboardings run one at a time, each counted on the wire and from its
// history. The first pair in a fresh process is kept apart: it loads the handler modules and fetches the secrets.
import type { BenchStack, FunctionProfile } from "./bench-stack.js";
import type { DynamoDbTraffic } from "./dynamodb-traffic.js";
import { median, round } from "./statistics.js";
import { markTraffic, sampleWorkflow, type WorkflowSample } from "./workflow-sample.js";

export interface HappyPathSamples {
  readonly firstInProcess: { readonly onboarding: WorkflowSample; readonly offboarding: WorkflowSample };
  readonly onboarding: readonly WorkflowSample[];
  readonly offboarding: readonly WorkflowSample[];
}

export interface HappyPathOptions {
  readonly runs: number;
  /**
   * Pause before each workflow so the shared portal budget is idle again, as for requests that arrive apart;
   * back to back, each run would wait (billed) for the previous run's last portal slot.
   */
  readonly idleGapMs: number;
  readonly logBytes: () => number;
  readonly progress?: (line: string) => void;
}

export async function runHappyPath(bench: BenchStack, options: HappyPathOptions): Promise<HappyPathSamples> {
  const idle = () => new Promise((resolve) => setTimeout(resolve, options.idleGapMs));
  const pair = async (practiceId: string) => {
    await idle();
    let mark = markTraffic(bench, options.logBytes());
    const onboarded = await bench.onboard(practiceId);
    await bench.drainOutbox(); // its event's delivery belongs to this run
    const onboarding = sampleWorkflow(
      bench,
      onboarded,
      bench.stateMachineArns.onboarding,
      mark,
      options.logBytes(),
      true,
    );
    await idle();
    mark = markTraffic(bench, options.logBytes());
    const offboarded = await bench.offboard(practiceId);
    await bench.drainOutbox();
    const offboarding = sampleWorkflow(
      bench,
      offboarded,
      bench.stateMachineArns.offboarding,
      mark,
      options.logBytes(),
      false,
    );
    for (const sample of [onboarding, offboarding]) {
      if (sample.status !== "SUCCEEDED")
        throw new Error(`happy-path run for ${practiceId} ended ${sample.status}`);
    }
    return { onboarding, offboarding };
  };
  const firstInProcess = await pair("bench-happy-first");
  const onboarding: WorkflowSample[] = [];
  const offboarding: WorkflowSample[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const samples = await pair(`bench-happy-${String(run).padStart(4, "0")}`);
    onboarding.push(samples.onboarding);
    offboarding.push(samples.offboarding);
    options.progress?.(
      `  happy path ${run}/${options.runs}: onboarding ${round(samples.onboarding.totalMs)} ms`,
    );
  }
  return { firstInProcess, onboarding, offboarding };
}

/** Per-run counts of a workflow (the same in every warm run, or listed in `variesAcrossRuns`). */
export interface WorkflowCounts {
  readonly runs: number;
  readonly portalCalls: number;
  readonly portalRequests: readonly string[];
  readonly statesEntered: readonly string[];
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly webhookInvocations: number;
  readonly failedInvocations: number;
  readonly dynamoDb: DynamoDbTraffic;
  readonly secretsManagerCalls: number;
  readonly kmsCalls: number;
  readonly stepFunctionsApiCalls: Record<string, number>;
  readonly domainEvents: number;
  /** The outbox delivery function's invocations per run, their median billed duration, and what it bills by. */
  readonly outboxDelivery: {
    readonly invocations: number;
    readonly medianDurationMs: number;
    readonly memoryMb: number;
    readonly architecture: "arm64" | "x86_64";
  };
  /** Median bytes the handlers logged per run. */
  readonly logBytes: number;
  readonly largestPayloadBytes: number;
  /** Median duration of each Task's invocation, with what Lambda bills it by. */
  readonly invocations: ReadonlyArray<{
    readonly stateName: string;
    readonly logicalId: string;
    readonly memoryMb: number;
    readonly architecture: "arm64" | "x86_64";
    /** Invocations of this Task per run. */
    readonly perRun: number;
    readonly medianDurationMs: number;
  }>;
  readonly medianWebhookMs: number;
  readonly medianTotalMs: number;
  /** Counts that differed between runs (the value above is the first run's). */
  readonly variesAcrossRuns: readonly string[];
}

export function countsOf(
  samples: readonly WorkflowSample[],
  outboxDeliveryFunction: FunctionProfile,
): WorkflowCounts {
  const first = samples[0];
  if (!first) throw new Error("no samples to count");
  const countOf = (sample: WorkflowSample) => ({
    portalCalls: sample.portalCalls,
    portalRequests: sample.portalRequests,
    statesEntered: sample.statesEntered,
    lambdaInvocations: sample.lambdaInvocations.length,
    failedInvocations: sample.failedInvocations,
    dynamoDb: sample.dynamoDb,
    secretsManagerCalls: sample.secretsManagerCalls,
    kmsCalls: sample.kmsCalls,
    stepFunctionsApiCalls: sample.stepFunctionsApiCalls,
    domainEvents: sample.domainEvents,
    outboxDeliveries: sample.outboxDeliveries.length,
  });
  const reference = countOf(first);
  const variesAcrossRuns = Object.keys(reference).filter((key) =>
    samples.some(
      (sample) =>
        JSON.stringify(countOf(sample)[key as keyof typeof reference]) !==
        JSON.stringify(reference[key as keyof typeof reference]),
    ),
  );
  const byState = new Map<string, { profile: WorkflowSample["lambdaInvocations"][number]; ms: number[] }>();
  for (const sample of samples) {
    for (const invocation of sample.lambdaInvocations) {
      const entry = byState.get(invocation.stateName) ?? { profile: invocation, ms: [] };
      entry.ms.push(invocation.durationMs);
      byState.set(invocation.stateName, entry);
    }
  }
  const { outboxDeliveries, ...counted } = reference;
  const deliveryMs = samples.flatMap((sample) => sample.outboxDeliveries);
  return {
    runs: samples.length,
    ...counted,
    outboxDelivery: {
      invocations: outboxDeliveries,
      medianDurationMs: deliveryMs.length > 0 ? round(median(deliveryMs)) : 0,
      memoryMb: outboxDeliveryFunction.memoryMb,
      architecture: outboxDeliveryFunction.architecture,
    },
    stateTransitions: first.stateTransitions,
    webhookInvocations: first.webhookInvocations,
    logBytes: median(samples.map((sample) => sample.logBytes)),
    largestPayloadBytes: Math.max(...samples.map((sample) => sample.largestPayloadBytes)),
    invocations: [...byState.entries()].map(([stateName, { profile, ms }]) => ({
      stateName,
      logicalId: profile.logicalId,
      memoryMb: profile.memoryMb,
      architecture: profile.architecture,
      perRun: round(ms.length / samples.length),
      medianDurationMs: round(median(ms)),
    })),
    medianWebhookMs: round(median(samples.map((sample) => sample.webhookMs))),
    medianTotalMs: round(median(samples.map((sample) => sample.totalMs))),
    variesAcrossRuns,
  };
}
