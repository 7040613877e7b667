// Fault injection for the portal simulator: random faults (seeded, reproducible) and a deterministic queue.
// Namespace import: `import { z }` makes esbuild bundle every zod locale (417 KB instead of 12 KB).
import * as z from "zod/mini";

export type SimulatorMethod = "GET" | "POST" | "PUT";

/** Random faults, applied to authenticated `/apikeys` requests. Rates are fractions of requests (0–1). */
export interface PortalSimulatorFaults {
  /** Added before every answer. */
  latencyMs: number;
  /** Up to this much more, uniformly drawn. */
  latencyJitterMs: number;
  /** 500 or 503, with a JSON or plain-text body. Nothing is applied. */
  errorRate: number;
  /** An HTML page with 200 or 502, as a proxy or maintenance page would send. Nothing is applied. */
  htmlErrorRate: number;
  /** No answer at all, until the client gives up. Nothing is applied. */
  timeoutRate: number;
  /** 429. Nothing is applied. */
  throttleRate: number;
  /** The change is applied, then the connection is destroyed without an answer. */
  commitThenDropRate: number;
  /** Every request is answered 503. */
  outage: boolean;
}

export const NO_FAULTS: PortalSimulatorFaults = {
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  htmlErrorRate: 0,
  timeoutRate: 0,
  throttleRate: 0,
  commitThenDropRate: 0,
  outage: false,
};

/**
 * A fault for the next matching request(s), applied in queue order before any random fault.
 * - `status`: answer this status (and body, sent as-is) instead; nothing is applied. A 2xx status with a
 *   body is how tests send a well-formed answer of the wrong shape.
 * - `html`: an HTML page (status 200 unless given); nothing is applied.
 * - `timeout`: never answer; nothing is applied.
 * - `commitThenDrop`: apply the change, then destroy the connection.
 * - `garbage`: apply the change, then send the real answer cut in half (truncated JSON).
 * - `slow`: hold the request `ms`, then apply it and answer as usual: a request still in flight when the caller
 *   has moved on (a stopped execution's PUT landing after its claim was released).
 */
export type QueuedFault = {
  /** Only requests with this method match; any method when absent. */
  method?: SimulatorMethod;
  /** How many matching requests it applies to. @default 1 */
  times?: number;
} & (
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  | { kind: "html"; status?: number }
  | { kind: "timeout" | "commitThenDrop" | "garbage" }
  | { kind: "slow"; ms: number }
);

/** What happens to one request, after the queue and the dice have spoken. */
export type FaultDecision =
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string>; label: string }
  | { kind: "html"; status: number; label: string }
  | { kind: "timeout" | "commitThenDrop" | "garbage"; label: string }
  | { kind: "slow"; ms: number; label: string }
  | { kind: "error"; status: 500 | 503; textBody: boolean; label: string }
  | { kind: "throttle"; label: string };

const rate = z.number().check(z.gte(0), z.lte(1));
const ms = z.number().check(z.gte(0), z.lte(600_000));
export const partialFaultsSchema = z.strictObject({
  latencyMs: z.optional(ms),
  latencyJitterMs: z.optional(ms),
  errorRate: z.optional(rate),
  htmlErrorRate: z.optional(rate),
  timeoutRate: z.optional(rate),
  throttleRate: z.optional(rate),
  commitThenDropRate: z.optional(rate),
  outage: z.optional(z.boolean()),
});

const method = z.optional(z.enum(["GET", "POST", "PUT"]));
const times = z.optional(z.int().check(z.gte(1)));
export const queuedFaultSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    method,
    times,
    kind: z.literal("status"),
    status: z.int().check(z.gte(100), z.lte(599)),
    body: z.optional(z.string()),
    headers: z.optional(z.record(z.string(), z.string())),
  }),
  z.strictObject({
    method,
    times,
    kind: z.literal("html"),
    status: z.optional(z.int().check(z.gte(100), z.lte(599))),
  }),
  z.strictObject({ method, times, kind: z.enum(["timeout", "commitThenDrop", "garbage"]) }),
  z.strictObject({ method, times, kind: z.literal("slow"), ms }),
]);

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same chaos. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Validates a partial fault setting; throws an Error naming the bad field. */
export function mergeFaults(current: PortalSimulatorFaults, partial: unknown): PortalSimulatorFaults {
  const parsed = partialFaultsSchema.safeParse(partial ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`Invalid faults: ${issue.path.join(".") || "(body)"}: ${issue.message}`);
  }
  const next = { ...current, ...stripUndefined(parsed.data) };
  const total =
    next.errorRate + next.htmlErrorRate + next.timeoutRate + next.throttleRate + next.commitThenDropRate;
  if (total > 1) throw new Error(`Invalid faults: the fault rates add up to ${total}, more than 1`);
  return next;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Validates queued faults; throws an Error naming the bad entry. */
export function parseQueuedFaults(faults: unknown[]): QueuedFault[] {
  return faults.map((fault, index) => {
    const parsed = queuedFaultSchema.safeParse(fault);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(
        `Invalid queued fault [${index}]: ${issue.path.join(".") || "(entry)"}: ${issue.message}`,
      );
    }
    return parsed.data as QueuedFault;
  });
}

/** Decides each request's fault: first the queue, then one roll of the seeded dice. */
export class FaultPlanner {
  private queue: Array<QueuedFault & { remaining: number }> = [];

  constructor(
    public faults: PortalSimulatorFaults,
    private readonly random: () => number,
  ) {}

  enqueue(faults: QueuedFault[]): void {
    for (const fault of faults) this.queue.push({ ...fault, remaining: fault.times ?? 1 });
  }

  queued(): QueuedFault[] {
    return this.queue.map(({ remaining, ...fault }) => ({ ...fault, times: remaining }));
  }

  clearQueue(): void {
    this.queue = [];
  }

  /** Latency to add before answering, in ms. */
  latency(): number {
    const { latencyMs, latencyJitterMs } = this.faults;
    return latencyMs + (latencyJitterMs > 0 ? Math.floor(this.random() * (latencyJitterMs + 1)) : 0);
  }

  next(method: string): FaultDecision | undefined {
    const index = this.queue.findIndex((f) => f.method === undefined || f.method === method);
    if (index >= 0) {
      const fault = this.queue[index]!;
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.queue.splice(index, 1);
      return fromQueued(fault);
    }
    return this.roll();
  }

  private roll(): FaultDecision | undefined {
    const f = this.faults;
    const anyRate = f.throttleRate + f.errorRate + f.htmlErrorRate + f.timeoutRate + f.commitThenDropRate;
    if (anyRate === 0) return undefined;
    // One roll, cut into consecutive bands: [throttle | error | html | timeout | commitThenDrop | none].
    const roll = this.random();
    let band = f.throttleRate;
    if (roll < band) return { kind: "throttle", label: "random:throttle" };
    band += f.errorRate;
    if (roll < band) {
      const status = this.random() < 0.5 ? 500 : 503;
      return { kind: "error", status, textBody: this.random() < 0.5, label: `random:error ${status}` };
    }
    band += f.htmlErrorRate;
    if (roll < band) {
      const status = this.random() < 0.5 ? 200 : 502;
      return { kind: "html", status, label: `random:html ${status}` };
    }
    band += f.timeoutRate;
    if (roll < band) return { kind: "timeout", label: "random:timeout" };
    band += f.commitThenDropRate;
    if (roll < band) return { kind: "commitThenDrop", label: "random:commitThenDrop" };
    return undefined;
  }
}

function fromQueued(fault: QueuedFault): FaultDecision {
  switch (fault.kind) {
    case "status":
      return {
        kind: "status",
        status: fault.status,
        ...(fault.body === undefined ? {} : { body: fault.body }),
        ...(fault.headers ? { headers: fault.headers } : {}),
        label: `queued:status ${fault.status}`,
      };
    case "html":
      return { kind: "html", status: fault.status ?? 200, label: `queued:html ${fault.status ?? 200}` };
    case "slow":
      return { kind: "slow", ms: fault.ms, label: `queued:slow ${fault.ms}ms` };
    default:
      return { kind: fault.kind, label: `queued:${fault.kind}` };
  }
}

/** The HTML a proxy or maintenance page would send in place of JSON. */
export function htmlPage(status: number): string {
  const title = status === 200 ? "Open Dental API - Scheduled Maintenance" : `${status} Bad Gateway`;
  const text =
    status === 200
      ? "The API is down for scheduled maintenance. Please try again later."
      : "The proxy server received an invalid response from an upstream server.";
  return `<!DOCTYPE html>\n<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<p>${text}</p>\n</body>\n</html>\n`;
}
