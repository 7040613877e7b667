// The seeded plan of a chaos run: which deliveries go out when (duplicates and concurrent pairs included), the
// bad ones, the pre-existing portal keys, and the order offboarding candidates are tried in.
import type { SimulatorRawKey } from "../../local/portal-simulator.js";
import { mulberry32 } from "../../local/portal-simulator-faults.js";
import { type ChaosOptions, deliveryWindowMs } from "./chaos-options.js";

export type DeliveryKind = "first" | "duplicate" | "concurrent";

export interface PlannedDelivery {
  readonly practiceId: string;
  readonly devRefId: string;
  readonly webhookId: string;
  /** When to send it, in ms after the run's start. */
  readonly atMs: number;
  readonly kind: DeliveryKind;
}

/** A delivery the webhook must refuse with a 4xx, leaving no trace. */
export interface BadDelivery {
  readonly practiceId: string;
  readonly what: "bad signature" | "expired timestamp" | "invalid practiceId";
}

/** A refusal (400 unless `status` says otherwise) queued for the next request of this method, at this moment. */
export interface PlannedRejection {
  readonly atMs: number;
  readonly method: "POST" | "PUT";
  readonly status?: number;
}

/** What the portal answers a refused POST with: each certainly created nothing (issue 14). */
const POST_REFUSAL_STATUSES = [429, 400, 401] as const;

/** Keys that are not ours and must never change: pre-existing ones and the ones made by hand today. */
export function foreignKeys(plan: Pick<ChaosPlan, "preExistingKeys" | "handMadeKeys">): SimulatorRawKey[] {
  return [...plan.preExistingKeys, ...plan.handMadeKeys];
}

export interface ChaosPlan {
  readonly practiceIds: readonly string[];
  readonly deliveries: readonly PlannedDelivery[];
  readonly badDeliveries: readonly BadDelivery[];
  readonly rejections: readonly PlannedRejection[];
  /** When the outage starts, in ms after the run's start (the middle of the delivery window). */
  readonly outageAtMs: number;
  /** Every practice, shuffled: offboarding takes the first ones that are ACTIVE when their onboarding ends. */
  readonly offboardingOrder: readonly string[];
  readonly preExistingKeys: readonly SimulatorRawKey[];
  /** Made by hand in the portal today: enabled, unlabeled, half installed. Not ours: never changed. */
  readonly handMadeKeys: readonly SimulatorRawKey[];
  /** A practice id no delivery uses: offboarding it must fail with PracticeNotFound. */
  readonly unknownPracticeId: string;
}

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const PRE_EXISTING_STATUSES = ["Enabled", "Enabled", "Enabled", "DisabledByDeveloper", "DisabledByCustomer"];

export function practiceIdFor(index: number): string {
  return `chaos-practice-${String(index + 1).padStart(4, "0")}`;
}

export function devRefIdFor(index: number): string {
  return `Chaos Dental ${String(index + 1).padStart(4, "0")}`;
}

/** The driver's dice: a stream separate from the simulator's (which is seeded with the seed itself). */
export function driverRandom(seed: number): () => number {
  return mulberry32((seed ^ 0x5eed_c4a0) >>> 0);
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * Keys that were in the portal before this system: created in past years (so reconciliation's lost-POST rule can
 * never take one for ours), some labeled, some installed, some disabled.
 */
function randomCustomerKey(random: () => number, seen: Set<string>): string {
  for (;;) {
    let customerKey = "";
    for (let i = 0; i < 16; i++) customerKey += KEY_ALPHABET[Math.floor(random() * KEY_ALPHABET.length)];
    if (seen.has(customerKey)) continue;
    seen.add(customerKey);
    return customerKey;
  }
}

function preExistingKeys(count: number, random: () => number, seen: Set<string>): SimulatorRawKey[] {
  const keys: SimulatorRawKey[] = [];
  while (keys.length < count) {
    const customerKey = randomCustomerKey(random, seen);
    const n = keys.length;
    const status = PRE_EXISTING_STATUSES[Math.floor(random() * PRE_EXISTING_STATUSES.length)]!;
    const created = `${2021 + Math.floor(random() * 4)}-${pad2(1 + Math.floor(random() * 12))}-${pad2(1 + Math.floor(random() * 28))}`;
    const installed = random() < 0.5;
    keys.push({
      CustomerKey: customerKey,
      KeyStatus: status,
      DateCreated: created,
      DateDisabled: status.startsWith("Disabled") ? "2025-01-15" : "0001-01-01",
      DateTimeAssigned: installed ? `${created} 10:${pad2(n % 60)}:00` : "0001-01-01 00:00:00",
      // Half labeled by hand long ago, half unlabeled (the shape reconciliation must never mistake for ours).
      DevRefId: n % 2 === 0 ? `Legacy Practice ${n + 1}` : "",
    });
  }
  return keys;
}

/**
 * Keys a person made by hand in the Developer Portal the day of the run: enabled, unlabeled, dated today, half
 * installed by an office — what a lost POST's key looks like, except the installed ones.
 */
function handMadeKeys(
  count: number,
  random: () => number,
  seen: Set<string>,
  today: Date,
): SimulatorRawKey[] {
  const date = today.toISOString().slice(0, 10);
  return Array.from({ length: count }, (_, n) => ({
    CustomerKey: randomCustomerKey(random, seen),
    KeyStatus: "Enabled",
    DateCreated: date,
    DateDisabled: "0001-01-01",
    DateTimeAssigned: n % 2 === 0 ? `${date} 08:${pad2(n % 60)}:00` : "0001-01-01 00:00:00",
    DevRefId: "",
  }));
}

export function planChaos(options: ChaosOptions, today: Date = new Date()): ChaosPlan {
  const random = driverRandom(options.seed);
  const windowMs = deliveryWindowMs(options);
  const practiceIds: string[] = [];
  const deliveries: PlannedDelivery[] = [];
  let webhookCounter = 0;
  const nextWebhookId = () => `msg_chaos_${options.seed}_${String(++webhookCounter).padStart(5, "0")}`;
  for (let i = 0; i < options.onboardings; i++) {
    const practiceId = practiceIdFor(i);
    const devRefId = devRefIdFor(i);
    practiceIds.push(practiceId);
    const atMs = Math.floor(random() * windowMs);
    const webhookId = nextWebhookId();
    deliveries.push({ practiceId, devRefId, webhookId, atMs, kind: "first" });
    // The CRM redelivers when it saw no answer in time: same id, a little later.
    if (random() < options.duplicateRate)
      deliveries.push({
        practiceId,
        devRefId,
        webhookId,
        atMs: atMs + Math.floor(random() * 3000),
        kind: "duplicate",
      });
    // Two CRM events for one practice (a double-click, two workflows): another id, nearly the same moment.
    if (random() < options.concurrentPairRate)
      deliveries.push({
        practiceId,
        devRefId,
        webhookId: nextWebhookId(),
        atMs: atMs + Math.floor(random() * 50),
        kind: "concurrent",
      });
  }
  deliveries.sort((a, b) => a.atMs - b.atMs);
  const rejections: PlannedRejection[] = Array.from({ length: options.forcedRejections }, () => ({
    atMs: Math.floor(random() * windowMs * 1.2),
    method: random() < 0.3 ? ("POST" as const) : ("PUT" as const),
  }));
  for (let i = 0; i < options.postRefusals; i++)
    rejections.push({
      atMs: Math.floor(random() * windowMs),
      method: "POST",
      status: POST_REFUSAL_STATUSES[i % POST_REFUSAL_STATUSES.length],
    });
  rejections.sort((a, b) => a.atMs - b.atMs);
  const seenKeys = new Set<string>();
  return {
    practiceIds,
    deliveries,
    rejections,
    badDeliveries: [
      { practiceId: "chaos-bad-signature", what: "bad signature" },
      { practiceId: "chaos-expired-timestamp", what: "expired timestamp" },
      { practiceId: "chaos bad id", what: "invalid practiceId" },
    ],
    outageAtMs: Math.floor(windowMs / 2),
    offboardingOrder: shuffle(practiceIds, random),
    preExistingKeys: preExistingKeys(options.preExistingKeys, random, seenKeys),
    handMadeKeys: handMadeKeys(options.handMadeKeys, random, seenKeys, today),
    unknownPracticeId: "chaos-never-onboarded",
  };
}
