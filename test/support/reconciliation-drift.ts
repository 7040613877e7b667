// Builds practice records, ledger entries and portal keys for reconciliation tests through the same store
// methods the workflows use, and snapshots the table and the portal to prove a run changed nothing.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { PortalKey } from "../../functions/portal/portal-types.js";
import type { SimulatorRawKey } from "../../local/portal-simulator.js";
import type { ReconciliationHarness } from "./reconciliation-harness.js";

export const HOURS_AGO = (hours: number) => new Date(Date.now() - hours * 3_600_000);

/** The simulator key, parsed the way the portal client parses it. */
export function asPortalKey(raw: SimulatorRawKey): PortalKey {
  const sentinel = (value: string) => (value.startsWith("0001-01-01") ? null : value);
  return {
    customerKey: raw.CustomerKey,
    keyStatus: raw.KeyStatus,
    dateCreated: sentinel(raw.DateCreated),
    dateDisabled: sentinel(raw.DateDisabled),
    dateTimeAssigned: sentinel(raw.DateTimeAssigned),
    devRefId: raw.DevRefId,
  };
}

/** What building drift needs: a portal simulator and the practice store (a harness or a local stack's). */
export type DriftTarget = Pick<ReconciliationHarness, "simulator" | "store">;

export interface BuiltPractice {
  readonly practiceId: string;
  readonly customerKey: string;
  readonly maskedKey: string;
  readonly executionName: string;
}

/**
 * A practice onboarded by `executionName` (claim, attempt, key recorded, ACTIVE) holding a new simulator key
 * labeled `devRefId` (or `portal` overrides). `at` dates every step.
 */
export async function activePractice(
  h: DriftTarget,
  practiceId: string,
  options: { devRefId?: string; portal?: Partial<SimulatorRawKey>; at?: Date; executionName?: string } = {},
): Promise<BuiltPractice> {
  const devRefId = options.devRefId ?? `Dental ${practiceId}`;
  const executionName = options.executionName ?? `exec-${practiceId}`;
  const [raw] = h.simulator.addKeys([{ DevRefId: devRefId, ...options.portal }]);
  const built = await onboardingWithKey(h, practiceId, raw!, { devRefId, executionName, at: options.at });
  const record = (await h.store.getPractice(practiceId))!;
  await h.store.markActive({ practiceId, executionName, expectedVersion: record.version, now: options.at });
  return built;
}

/** A practice ONBOARDING by `executionName`, holding `raw` as its recorded key. */
export async function onboardingWithKey(
  h: DriftTarget,
  practiceId: string,
  raw: SimulatorRawKey,
  options: { devRefId: string; executionName: string; at?: Date },
): Promise<BuiltPractice> {
  const { devRefId, executionName, at } = options;
  await h.store.claimForOnboarding({ practiceId, devRefId, executionName, requestedBy: "test", now: at });
  await h.store.recordCreateAttempt({ practiceId, executionName, now: at });
  const record = await h.store.recordKeyCreated({
    practiceId,
    executionName,
    key: asPortalKey(raw),
    now: at,
  });
  // As the store's fingerprinter shows it (a harness's test secret or a local stack's own).
  return { practiceId, customerKey: raw.CustomerKey, maskedKey: record.maskedKey!, executionName };
}

/**
 * Everything a run must not change: practice, ledger, attempt and audit items, and every portal key (the
 * installations it records, an observation rather than a change, left out).
 */
export async function snapshot(h: ReconciliationHarness): Promise<{ table: unknown[]; portal: unknown[] }> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await h.client.send(
      new ScanCommand({ TableName: h.tableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const table = items
    // The run's own items and the events it announces (its report's, the installations'), the rate limiter's
    // clock, and the open-attempt index bookkeeping every run does.
    .filter((item) => !/^(RECON|RATE|OUTBOX)#/.test(String(item.pk)))
    // What the funnel observes (an office installed its key) is recorded by every run, report-only too.
    .filter((item) => item.action !== "KEY_INSTALLED")
    .map(({ installation: _installed, ...item }) => item)
    .map((item) => {
      if (!String(item.sk).startsWith("ATTEMPT#")) return item;
      const {
        gsiStatus: _s,
        gsiPracticeId: _p,
        resolvedAt: _a,
        resolvedBy: _b,
        resolution: _r,
        ...rest
      } = item;
      return rest;
    })
    .sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
  const portal = h.simulator
    .keys()
    .map(({ history: _h, ...key }) => key)
    .sort((a, b) => a.CustomerKey.localeCompare(b.CustomerKey));
  return { table, portal };
}

/** Portal requests after the `from`-th, without the listing GETs: what a run changed in the portal. */
export function changesSince(h: ReconciliationHarness, from: number): string[] {
  return h.simulator
    .calls()
    .slice(from)
    .filter((call) => call.method !== "GET")
    .map((call) => `${call.method} ${call.keyMasked ?? ""} ${call.status}`.trim());
}

/** The body of every PUT the simulator received for `customerKey` after `from` events. */
export function putsFor(h: Pick<ReconciliationHarness, "simulator">, customerKey: string, from = 0) {
  const key = h.simulator.keys().find((k) => k.CustomerKey === customerKey);
  return (key?.history ?? [])
    .slice(from)
    .filter((e) => e.method === "PUT")
    .map((e) => e.request);
}
