// EventBridge's PutEvents on the local AWS JSON endpoint (AWS_ENDPOINT_URL_EVENTBRIDGE): every accepted entry is
// appended to `.local/events.jsonl` as the envelope a rule's target would receive. Faults can be injected, as the
// chaos run does: a share of the entries is refused with an entry-level ErrorCode, which PutEvents reports with
// FailedEntryCount and which the SDK does not retry (the caller must).
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { LocalAwsJsonService } from "../aws-json-endpoint.js";
import { ValidationException } from "../aws-service-errors.js";

export interface LocalEventBusFaults {
  /** Share (0–1) of entries refused with ErrorCode `InternalFailure`. @default 0 */
  readonly rejectFraction?: number;
  /** Epoch ms after which the faults stop by themselves. @default never */
  readonly until?: number;
}

export interface LocalEventBus {
  readonly service: LocalAwsJsonService;
  readonly eventsFile: string;
  setFaults(faults: LocalEventBusFaults): void;
  /** Entries accepted and refused so far. */
  stats(): { readonly accepted: number; readonly refused: number };
}

export interface LocalEventBusOptions {
  readonly eventsFile: string;
  readonly region: string;
  readonly account: string;
  /** Seeds the fault dice. @default 1 */
  readonly seed?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** PutEvents accepts 1 to 10 entries. */
const MAX_ENTRIES = 10;

export function createLocalEventBus(options: LocalEventBusOptions): LocalEventBus {
  const now = options.now ?? Date.now;
  const random = mulberry32(options.seed ?? 1);
  let faults: LocalEventBusFaults = {};
  let accepted = 0;
  let refused = 0;
  mkdirSync(dirname(options.eventsFile), { recursive: true });

  const refuse = (): boolean => {
    if (faults.until !== undefined && now() >= faults.until) faults = {};
    return (faults.rejectFraction ?? 0) > 0 && random() < (faults.rejectFraction ?? 0);
  };

  const putEvents = (body: Record<string, unknown>) => {
    const entries = body.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES)
      throw new ValidationException(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    let failed = 0;
    const results = entries.map((raw: Record<string, unknown>) => {
      const missing = ["Source", "DetailType", "Detail"].find((field) => typeof raw[field] !== "string");
      if (missing) {
        failed += 1;
        return { ErrorCode: "InvalidArgument", ErrorMessage: `Parameter ${missing} is not valid.` };
      }
      if (refuse()) {
        failed += 1;
        refused += 1;
        return {
          ErrorCode: "InternalFailure",
          ErrorMessage: "Injected fault: the local bus refused the entry.",
        };
      }
      const id = randomUUID();
      const time = typeof raw.Time === "number" ? new Date(raw.Time * 1000) : new Date(now());
      const envelope = {
        version: "0",
        id,
        "detail-type": raw.DetailType,
        source: raw.Source,
        account: options.account,
        time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: options.region,
        resources: Array.isArray(raw.Resources) ? raw.Resources : [],
        detail: JSON.parse(raw.Detail as string) as unknown,
      };
      appendFileSync(options.eventsFile, `${JSON.stringify(envelope)}\n`, "utf8");
      accepted += 1;
      return { EventId: id };
    });
    return { FailedEntryCount: failed, Entries: results };
  };

  return {
    service: { targetPrefix: "AWSEvents", jsonVersion: "1.1", operations: { PutEvents: putEvents } },
    eventsFile: options.eventsFile,
    setFaults(next) {
      faults = { ...next };
    },
    stats: () => ({ accepted, refused }),
  };
}

/** A small seeded PRNG (the fault dice must repeat with the seed). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
