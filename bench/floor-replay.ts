// The latency floor: the very requests one onboarding made to the portal and DynamoDB, replayed one after the
// other from a single script, with the practice, the execution and the key renamed so they act on fresh items.
import { randomUUID } from "node:crypto";
import { maskKeyTail } from "../functions/platform/mask.js";
import type { RecordedRequest } from "./recording-proxy.js";

export interface ReplaySource {
  /** Where the request goes (the same proxy it was recorded through, so both sides pay the same hop). */
  readonly baseUrl: string;
  readonly requests: readonly RecordedRequest[];
  /** True for the portal: a POST /apikeys answer introduces a key that later requests must use. */
  readonly createsKeys?: boolean;
  /**
   * True for DynamoDB: epoch-millisecond numbers (the rate limiter's slots) move to the replay's own time, and
   * each transaction gets a new ClientRequestToken (a reused one with other items is refused as a mismatch).
   */
  readonly dynamoDb?: boolean;
}

export interface FloorResult {
  readonly ms: number;
  readonly requests: number;
  /** Replayed requests answered with another status than the original (e.g. a rate-limiter condition that no
   * longer holds); each still costs its round trip. */
  readonly statusMismatches: number;
}

export async function replayFloor(
  sources: readonly ReplaySource[],
  renames: ReadonlyArray<readonly [from: string, to: string]>,
): Promise<FloorResult> {
  const ordered = sources
    .flatMap((source) => source.requests.map((request) => ({ source, request })))
    .sort((a, b) => a.request.startedAt - b.request.startedAt);
  const substitutions = [...renames];
  const rename = (text: string) =>
    substitutions.reduce((result, [from, to]) => result.split(from).join(to), text);
  let statusMismatches = 0;
  const startedAt = performance.now();
  for (const { source, request } of ordered) {
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    let body = hasBody ? rename(request.body) : undefined;
    if (body !== undefined && source.dynamoDb) body = asIfSentNow(body, request.startedAt);
    const response = await fetch(`${source.baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    if (response.status !== request.status) statusMismatches += 1;
    if (source.createsKeys && request.method === "POST" && response.ok) {
      const created = keyIn(text);
      const original = keyIn(request.responseBody ?? "");
      if (created && original) {
        // Masked forms (`…W2HD #3f9a1c`) change their last 4; fingerprints stay the recording's, consistently.
        substitutions.push([original, created], [maskKeyTail(original), maskKeyTail(created)]);
      }
    }
  }
  return { ms: performance.now() - startedAt, requests: ordered.length, statusMismatches };
}

/** Epoch ms of a recorded request: `startedAt` is performance.now() of this process. */
const EPOCH_MS_NUMBER = /"N":"(1\d{12})"/g;

function asIfSentNow(body: string, recordedAt: number): string {
  const shift = Date.now() - (performance.timeOrigin + recordedAt);
  const shifted = body.replace(
    EPOCH_MS_NUMBER,
    (_, value: string) => `"N":"${Math.round(Number(value) + shift)}"`,
  );
  if (!shifted.includes('"ClientRequestToken"')) return shifted;
  const parsed = JSON.parse(shifted) as Record<string, unknown>;
  return JSON.stringify({ ...parsed, ClientRequestToken: randomUUID() });
}

function keyIn(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { CustomerKey?: unknown };
    return typeof parsed.CustomerKey === "string" ? parsed.CustomerKey : undefined;
  } catch {
    return undefined;
  }
}
