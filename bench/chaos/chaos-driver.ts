// Drives a chaos run against a started local stack: sends the planned webhook deliveries on time, puts the portal
// in a full outage in the middle, offboards practices as their onboarding ends ACTIVE, then repeats offboardings,
// offboards an unknown practice and brings offboarded practices back — and records everything it did.
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { PracticeStore } from "../../functions/practice/practice-store.js";
import { LOCAL_CREDENTIALS } from "../../local/dynamodb-local.js";
import { type LocalStack, STACK_OUTPUTS } from "../../local/local-stack.js";
import type { SimulatorKey } from "../../local/portal-simulator.js";
import { sendCrmDelivery, signCrmDelivery } from "../../local/signed-webhook.js";
import type { ChaosOptions } from "./chaos-options.js";
import type { ChaosPlan, PlannedDelivery } from "./chaos-plan.js";

export interface DeliveryRecord extends PlannedDelivery {
  /** HTTP status of the last attempt (a CRM redelivers on 5xx or no answer); 0 when none answered. */
  readonly status: number;
  readonly attempts: number;
  readonly executionArn?: string;
  /** The answer's text, kept for the leak scan. */
  readonly responseText: string;
}

export interface BadDeliveryRecord {
  readonly practiceId: string;
  readonly what: string;
  readonly status: number;
  readonly responseText: string;
}

export interface StartedExecution {
  readonly practiceId: string;
  readonly executionArn: string;
}

export interface RepeatedOffboarding extends StartedExecution {
  /** Portal history of the practice's key, length before the repeat (it must not grow). */
  readonly keyHistoryBefore: number;
  readonly customerKey?: string;
}

export interface ReturningOnboarding extends StartedExecution {
  /** The key the practice held when it was offboarded (full value: never printed). */
  readonly previousCustomerKey?: string;
  readonly from: "OFFBOARDED" | "FAILED";
  readonly webhookStatus: number;
}

export interface DriveRecord {
  readonly deliveries: DeliveryRecord[];
  readonly badDeliveries: BadDeliveryRecord[];
  readonly offboardings: StartedExecution[];
  readonly repeatedOffboardings: RepeatedOffboarding[];
  readonly unknownOffboarding?: StartedExecution;
  readonly returning: ReturningOnboarding[];
  /** ms after the start, as it really happened. */
  readonly outage?: { readonly startMs: number; readonly endMs: number };
  /** Answers of the Step Functions API to the driver (scanned for leaks). */
  readonly apiAnswers: string[];
}

export interface DriveContext {
  readonly stack: LocalStack;
  readonly store: PracticeStore;
  readonly options: ChaosOptions;
  readonly plan: ChaosPlan;
  readonly log: (line: string) => void;
}

const REQUESTED_BY = "ops:chaos";
/** Redeliveries a CRM makes when the webhook answers 5xx or not at all. */
const MAX_DELIVERY_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export async function driveChaos(context: DriveContext): Promise<DriveRecord> {
  const { stack, store, options, plan, log } = context;
  const simulator = stack.simulator;
  if (!simulator) throw new Error("the chaos run needs the built-in portal simulator");
  const outputs = stack.endpoints.outputs;
  const webhookUrl = outputs[STACK_OUTPUTS.webhookUrl]!;
  const offboardingArn = outputs[STACK_OUTPUTS.offboarding]!;
  const sfn = new SFNClient({
    endpoint: stack.endpoints.awsEndpoint,
    region: stack.endpoints.region,
    credentials: LOCAL_CREDENTIALS,
  });
  const apiAnswers: string[] = [];
  const startOffboarding = async (practiceId: string, name: string): Promise<StartedExecution> => {
    const answer = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: offboardingArn,
        name,
        input: JSON.stringify({ practiceId, reason: "chaos run: contract ended", requestedBy: REQUESTED_BY }),
      }),
    );
    apiAnswers.push(JSON.stringify(answer));
    return { practiceId, executionArn: answer.executionArn! };
  };

  try {
    const badDeliveries = await sendBadDeliveries(webhookUrl, stack.webhookSecret, plan);
    const started = Date.now();
    const elapsed = () => Date.now() - started;

    // The outage: a timer, so it starts in the middle whatever the deliveries are doing.
    let outage: { startMs: number; endMs: number } | undefined;
    const outageDone =
      options.outageMs > 0
        ? sleep(plan.outageAtMs).then(async () => {
            simulator.setFaults({ outage: true });
            const startMs = elapsed();
            log(`outage: the portal answers 503 to everything for ${options.outageMs / 1000} s`);
            await sleep(options.outageMs);
            simulator.setFaults({ outage: false });
            outage = { startMs, endMs: elapsed() };
            log("outage over");
          })
        : Promise.resolve();

    const rejectionsQueued = Promise.all(
      plan.rejections.map((rejection) =>
        sleep(rejection.atMs - elapsed()).then(() =>
          simulator.queueFaults({
            kind: "status",
            status: rejection.status ?? 400,
            method: rejection.method,
            body: JSON.stringify("Simulated refusal (chaos run)."),
          }),
        ),
      ),
    );

    const byPractice = new Map<string, Promise<DeliveryRecord>[]>();
    const deliveries = plan.deliveries.map((planned) => {
      const sent = sleep(planned.atMs - elapsed()).then(() =>
        deliver(webhookUrl, stack.webhookSecret, planned),
      );
      const list = byPractice.get(planned.practiceId) ?? [];
      list.push(sent);
      byPractice.set(planned.practiceId, list);
      return sent;
    });
    let delivered = 0;
    for (const sent of deliveries)
      void sent.then(() => {
        delivered += 1;
        if (delivered % 50 === 0 || delivered === deliveries.length)
          log(`deliveries sent: ${delivered}/${deliveries.length}`);
      });

    /** Resolves once every execution the practice's deliveries started has ended. */
    const onboardingEnded = async (practiceId: string) => {
      const records = await Promise.all(byPractice.get(practiceId) ?? []);
      const arns = new Set(records.flatMap((r) => (r.executionArn ? [r.executionArn] : [])));
      await Promise.all([...arns].map((arn) => stack.engine.waitForExecution(arn)));
    };

    // Offboard the first practices of the shuffled order that are ACTIVE once their onboarding ends — while
    // other onboardings (and maybe the outage) are still going on.
    const offboardings: StartedExecution[] = [];
    let claimed = 0;
    await Promise.all(
      plan.offboardingOrder.map(async (practiceId) => {
        await onboardingEnded(practiceId);
        if (claimed >= options.offboardings) return;
        const practice = await store.getPractice(practiceId);
        if (practice?.status !== "ACTIVE" || claimed >= options.offboardings) return;
        claimed += 1;
        offboardings.push(await startOffboarding(practiceId, `offboard-${practiceId}`));
      }),
    );
    const records = await Promise.all(deliveries);
    log(`offboardings started: ${offboardings.length}`);
    await Promise.all(offboardings.map((o) => stack.engine.waitForExecution(o.executionArn)));
    await outageDone;
    await rejectionsQueued;

    // Idempotency: offboard again practices whose offboarding succeeded; nothing in the portal may change.
    const offboarded: { practiceId: string; customerKey?: string }[] = [];
    for (const o of offboardings) {
      const practice = await store.getPractice(o.practiceId);
      // The key opened in memory (the driver holds the administrator's credentials): the checks compare it
      // with the portal's; the table holds only its ciphertext (docs/architecture.md §4 invariant 13).
      if (practice?.status === "OFFBOARDED")
        offboarded.push({
          practiceId: practice.practiceId,
          ...(practice.customerKey ? { customerKey: await store.revealCustomerKey(practice) } : {}),
        });
    }
    const keyHistory = (customerKey?: string) =>
      customerKey
        ? (simulator.keys().find((k: SimulatorKey) => k.CustomerKey === customerKey)?.history.length ?? 0)
        : 0;
    const repeatedOffboardings: RepeatedOffboarding[] = [];
    for (const practice of offboarded.slice(0, options.repeatedOffboardings)) {
      const before = keyHistory(practice.customerKey);
      const execution = await startOffboarding(practice.practiceId, `offboard-again-${practice.practiceId}`);
      repeatedOffboardings.push({
        ...execution,
        keyHistoryBefore: before,
        ...(practice.customerKey ? { customerKey: practice.customerKey } : {}),
      });
    }
    const unknownOffboarding = await startOffboarding(plan.unknownPracticeId, "offboard-unknown-practice");

    // Returning practices: offboarded ones (not the repeated ones) and failed ones come back through the webhook.
    const failed = (await store.listPractices({ status: "FAILED" })).filter((p) =>
      plan.practiceIds.includes(p.practiceId),
    );
    const comeBack = [
      ...offboarded
        .slice(options.repeatedOffboardings)
        .slice(0, options.returningPractices)
        .map((p) => ({ ...p, from: "OFFBOARDED" as const })),
      ...failed.slice(0, options.returningPractices).map((p) => ({ ...p, from: "FAILED" as const })),
    ];
    await Promise.all(repeatedOffboardings.map((o) => stack.engine.waitForExecution(o.executionArn)));
    await untilTheSecondAfter(
      store,
      comeBack.map((p) => p.practiceId),
    );
    const returning: ReturningOnboarding[] = [];
    for (const practice of comeBack) {
      const planned = plan.deliveries.find((d) => d.practiceId === practice.practiceId)!;
      const record = await deliver(webhookUrl, stack.webhookSecret, {
        ...planned,
        webhookId: `msg_chaos_${options.seed}_return_${practice.practiceId}`,
      });
      if (!record.executionArn) continue;
      returning.push({
        practiceId: practice.practiceId,
        executionArn: record.executionArn,
        from: practice.from,
        webhookStatus: record.status,
        ...(practice.customerKey ? { previousCustomerKey: practice.customerKey } : {}),
      });
      apiAnswers.push(record.responseText);
    }
    log(
      `repeated offboardings: ${repeatedOffboardings.length}, returning practices: ${returning.length}, unknown practice offboarded once`,
    );
    await Promise.all(
      [unknownOffboarding, ...returning].map((e) => stack.engine.waitForExecution(e.executionArn)),
    );
    return {
      deliveries: records,
      badDeliveries,
      offboardings,
      repeatedOffboardings,
      unknownOffboarding,
      returning,
      ...(outage ? { outage } : {}),
      apiAnswers,
    };
  } finally {
    sfn.destroy();
  }
}

/**
 * Waits until the clock's whole second is past every named practice's last transition. A webhook's timestamp is
 * in whole seconds and a request stamped in the second of the transition is stale (functions/practice/
 * request-order.ts): a CRM that sends "onboard again" in the same second as the offboarding is not a returning
 * practice this run means to test.
 */
async function untilTheSecondAfter(store: PracticeStore, practiceIds: readonly string[]): Promise<void> {
  const records = await Promise.all(practiceIds.map((id) => store.getPractice(id)));
  const latest = Math.max(0, ...records.map((r) => Date.parse(r?.lastTransitionAt ?? "") || 0));
  const nextSecond = Math.floor(latest / 1000) * 1000 + 1000;
  if (Date.now() < nextSecond)
    await new Promise((resolve) => setTimeout(resolve, nextSecond - Date.now() + 5));
}

/** Sends one delivery as a CRM would: redelivered (same id) on a 5xx or a dropped connection. */
async function deliver(
  webhookUrl: string,
  secret: string,
  planned: PlannedDelivery,
): Promise<DeliveryRecord> {
  let status = 0;
  let responseText = "";
  let attempts = 0;
  let executionArn: string | undefined;
  while (attempts < MAX_DELIVERY_ATTEMPTS) {
    attempts += 1;
    try {
      const response = await sendCrmDelivery(webhookUrl, secret, {
        practiceId: planned.practiceId,
        devRefId: planned.devRefId,
        webhookId: planned.webhookId,
      });
      status = response.status;
      responseText = typeof response.body === "string" ? response.body : JSON.stringify(response.body);
      const arn = (response.body as { executionArn?: unknown } | null)?.executionArn;
      if (typeof arn === "string") executionArn = arn;
      if (status < 500) break;
    } catch (error) {
      responseText = (error as Error).message;
    }
  }
  return { ...planned, status, attempts, responseText, ...(executionArn ? { executionArn } : {}) };
}

/** A bad signature, a timestamp outside the tolerance, an invalid practice id: each must be refused. */
async function sendBadDeliveries(
  webhookUrl: string,
  secret: string,
  plan: ChaosPlan,
): Promise<BadDeliveryRecord[]> {
  const out: BadDeliveryRecord[] = [];
  for (const bad of plan.badDeliveries) {
    const signed = signCrmDelivery(secret, {
      practiceId: bad.practiceId,
      devRefId: "Never Onboarded",
      ...(bad.what === "expired timestamp" ? { timestamp: new Date(Date.now() - 10 * 60_000) } : {}),
    });
    const headers =
      bad.what === "bad signature"
        ? { ...signed.headers, "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }
        : signed.headers;
    const response = await fetch(webhookUrl, { method: "POST", headers, body: signed.body });
    out.push({ ...bad, status: response.status, responseText: await response.text() });
  }
  return out;
}
