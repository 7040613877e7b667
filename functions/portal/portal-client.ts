// HTTP client for the Open Dental Developer Portal `/apikeys` endpoint (docs/architecture.md §3): typed errors, paging,
// rate limiting, credential refresh on 401, and messages that never carry a full key or credential.

import {
  ConfigurationError,
  InvalidInput,
  PortalNotFound,
  PortalRejected,
  PortalResponseInvalid,
  PortalThrottled,
  PortalUnauthorized,
  PortalUnavailable,
} from "../platform/errors.js";
import { maskKeyTail, redactCustomerKeys, redactSecrets } from "../platform/mask.js";
import { ColdClientGate } from "./cold-client-gate.js";
import {
  describeJsonType,
  describeNonJsonBody,
  explanationFromBody,
  parsePortalKey,
  parsePortalKeyList,
} from "./portal-response.js";
import {
  type KeyPage,
  PORTAL_PAGE_SIZE,
  type PortalClient,
  type PortalCredentials,
  type PortalKey,
  type PortalRateLimiter,
  type UpdateKeyRequest,
} from "./portal-types.js";

/** One HTTP request the client made, for metrics and logs. Holds no key or credential. */
export interface PortalCallRecord {
  readonly method: string;
  /** Path below the base URL with its query, e.g. `/apikeys?Offset=0&Limit=100`. Keys travel in bodies. */
  readonly path: string;
  /** HTTP status, absent when no answer arrived (timeout, network failure). */
  readonly status?: number;
  readonly durationMs: number;
  /** `"ok"`, or the name of the error this request produced (`PortalThrottled`, `PortalUnavailable`…). */
  readonly outcome: string;
  /** 1, or 2 for the single retry after a 401 with freshly read credentials. */
  readonly attempt: number;
  /** The CustomerKey a PUT addressed, its last 4 only (`…W2HD`): the client knows no fingerprint. */
  readonly keyMasked?: string;
}

export interface PortalClientOptions {
  /** Base URL, possibly with a path: `https://api.opendental.com/api/v1`. */
  readonly baseUrl: string;
  /**
   * Reads the DeveloperKey/DeveloperPortalKey (cached by the caller). Called with `forceRefresh` after a 401,
   * in case the secret was rotated since it was cached.
   */
  readonly credentials: (opts?: { forceRefresh?: boolean }) => Promise<PortalCredentials>;
  /** Shared budget: `acquire()` is awaited before every HTTP request, retries included. */
  readonly rateLimiter?: PortalRateLimiter;
  /** Per-request timeout, headers and body included. @default 15000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Called once per HTTP request, after it settles. Must not throw. */
  readonly onCall?: (call: PortalCallRecord) => void;
}

export const DEFAULT_PORTAL_TIMEOUT_MS = 15_000;
/** How late past its slot a fresh HTTP client's first request may reach the portal (see `firstRequest`). */
export const COLD_CLIENT_LATENESS_MS = 200;
/** A listing longer than this many pages is treated as a portal fault rather than followed forever. */
const MAX_LIST_PAGES = 1_000;
const CUSTOMER_KEY_SHAPE = /^[A-Z0-9]{16}$/;
const SETTABLE_STATUSES: readonly string[] = ["Enabled", "DisabledByDeveloper"];
/** Failures where the request cannot have reached the portal's application, so nothing was applied. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const STATUS_NAMES: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  408: "RequestTimeout",
  409: "Conflict",
  410: "Gone",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
  422: "UnprocessableEntity",
  429: "TooManyRequests",
  500: "InternalServerError",
  501: "NotImplemented",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

type Method = "GET" | "POST" | "PUT";

interface Operation {
  readonly method: Method;
  /** Below the base URL, with query. */
  readonly path: string;
  readonly body?: string;
  /** The key a PUT addresses: masked in the operation label and redacted from every message. */
  readonly customerKey?: string;
}

interface Exchange {
  readonly status: number;
  readonly contentType: string | null;
  readonly retryAfter: string | null;
  readonly location: string | null;
  readonly text: string;
}

/** Joins `https://host/api/v1/` + `/apikeys` without doubling or dropping the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

function statusLabel(status: number): string {
  const name = STATUS_NAMES[status];
  return name ? `${status} ${name}` : `HTTP ${status}`;
}

function assertUsableCredentials(credentials: PortalCredentials): void {
  // A value with whitespace or a slash would make an invalid or ambiguous header; say which field, never its value.
  const check = (field: string, value: unknown, allowSlash: boolean) => {
    if (typeof value !== "string" || value === "") {
      throw new ConfigurationError(
        `Portal credentials: ${field} is empty; check the portal-credentials secret`,
      );
    }
    if (!/^[\x21-\x7e]+$/.test(value) || (!allowSlash && value.includes("/"))) {
      throw new ConfigurationError(
        `Portal credentials: ${field} contains spaces, a slash or non-ASCII characters; check the portal-credentials secret`,
      );
    }
  };
  check("developerKey", credentials?.developerKey, false);
  check("developerPortalKey", credentials?.developerPortalKey, true);
}

function failureCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; name?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.name === "string" && cause.name !== "Error") return cause.name;
  return undefined;
}

function sameKey(a: PortalKey, b: PortalKey): boolean {
  return (
    a.keyStatus === b.keyStatus &&
    a.dateCreated === b.dateCreated &&
    a.dateDisabled === b.dateDisabled &&
    a.dateTimeAssigned === b.dateTimeAssigned &&
    a.devRefId === b.devRefId
  );
}

/** Builds a PortalClient. See PortalClientOptions for what the caller provides. */
export function createPortalClient(options: PortalClientOptions): PortalClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PORTAL_TIMEOUT_MS;
  const baseUrl = options.baseUrl;
  if (!/^https?:\/\//i.test(baseUrl)) {
    throw new ConfigurationError("Portal base URL must start with http:// or https://");
  }

  function describe(op: Operation): string {
    const pathOnly = op.path.split("?")[0];
    const query = op.method === "GET" && op.path.includes("?") ? `?${op.path.split("?")[1]}` : "";
    // The client knows no fingerprint: a key shows its last 4 only (docs/architecture.md §4 invariant 13).
    const key = op.customerKey ? ` for key ${maskKeyTail(op.customerKey)}` : "";
    return `${op.method} ${pathOnly}${query}${key}`;
  }

  function makeRedactor(op: Operation, seen: PortalCredentials[]): (text: string) => string {
    const credentials = seen.flatMap((c) => [c.developerKey, c.developerPortalKey]);
    return (text) => redactCustomerKeys(redactSecrets(text, credentials), op.customerKey);
  }

  async function loadCredentials(forceRefresh: boolean): Promise<PortalCredentials> {
    const credentials = await options.credentials(forceRefresh ? { forceRefresh: true } : undefined);
    assertUsableCredentials(credentials);
    return credentials;
  }

  async function exchange(
    op: Operation,
    credentials: PortalCredentials,
    redact: (text: string) => string,
  ): Promise<Exchange> {
    const headers: Record<string, string> = {
      Authorization: `ODFHIR ${credentials.developerKey}/${credentials.developerPortalKey}`,
      "Content-Type": "application/json",
      Accept: "application/json",
    };
    try {
      const response = await fetchImpl(joinUrl(baseUrl, op.path), {
        method: op.method,
        headers,
        body: op.body,
        // Never follow a redirect with the credentials attached; a redirect is reported instead.
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return {
        status: response.status,
        contentType: response.headers.get("content-type"),
        retryAfter: response.headers.get("retry-after"),
        location: response.headers.get("location"),
        text,
      };
    } catch (error) {
      const mutating = op.method !== "GET";
      const name = (error as { name?: unknown })?.name;
      if (name === "TimeoutError" || name === "AbortError") {
        const unknown = mutating ? "; it may have been applied" : "";
        throw new PortalUnavailable(
          redact(`${describe(op)}: no answer within ${timeoutMs} ms${unknown}`),
          mutating,
        );
      }
      const code = failureCode(error);
      const reached = !(code && NOT_SENT_CODES.has(code));
      const detail = code ?? (error instanceof Error ? error.message : String(error));
      const unknown = mutating && reached ? "; it may have been applied" : "";
      throw new PortalUnavailable(
        redact(`${describe(op)}: network failure (${detail})${unknown}`),
        mutating && reached,
      );
    }
  }

  /** Maps a non-2xx answer to its typed error. 401 is handled by the caller (one refresh and retry). */
  function errorFor(op: Operation, answer: Exchange, redact: (text: string) => string): Error {
    const mutating = op.method !== "GET";
    const explanation = explanationFromBody(answer.text, redact);
    const head = `${describe(op)}: ${statusLabel(answer.status)}${explanation ? `: ${explanation}` : ""}`;
    const status = answer.status;
    if (status === 400) return new PortalRejected(redact(head));
    if (status === 401 || status === 403) {
      const why =
        status === 401
          ? "refused the DeveloperKey/DeveloperPortalKey pair even after re-reading it"
          : "refused access for this DeveloperKey/DeveloperPortalKey pair";
      return new PortalUnauthorized(
        redact(`${head.replace(/\.$/, "")}. The portal ${why}; check the portal-credentials secret`),
      );
    }
    if (status === 404 || status === 410) return new PortalNotFound(redact(head));
    if (status === 429) {
      const retryAfter = parseRetryAfter(answer.retryAfter);
      const wait = retryAfter === undefined ? "" : ` (retry after ${retryAfter} s)`;
      return new PortalThrottled(redact(`${head}${wait}`), retryAfter);
    }
    if (status === 408) return new PortalUnavailable(redact(head), false);
    if (status >= 300 && status < 400) {
      const to = answer.location ? ` to ${answer.location}` : "";
      return new PortalResponseInvalid(
        redact(`${describe(op)}: answered ${statusLabel(status)} redirect${to}`),
      );
    }
    if (status >= 400 && status < 500) return new PortalRejected(redact(head));
    if (status >= 500) {
      // 503 says the request was not taken; a 500/502/504 may come after the change was applied.
      const unknown = mutating && status !== 503;
      return new PortalUnavailable(redact(`${head}${unknown ? "; it may have been applied" : ""}`), unknown);
    }
    return new PortalResponseInvalid(redact(`${describe(op)}: answered ${statusLabel(status)}`));
  }

  function jsonFrom(op: Operation, answer: Exchange, redact: (text: string) => string): unknown {
    const mutating = op.method !== "GET";
    const problem = describeNonJsonBody(answer.text, answer.contentType);
    if (problem) {
      throw new PortalResponseInvalid(redact(`${describe(op)} returned ${problem}`), mutating);
    }
    return JSON.parse(answer.text);
  }

  /**
   * The client's first request loads and warms the HTTP client and opens its first connection (48–72 ms on an idle
   * machine, 174 ms measured under load), so it reaches the portal late: its reservation keeps the next caller
   * that much further off, and calls started meanwhile send after its answer (cold-client-gate.ts).
   */
  const coldClient = new ColdClientGate();

  /** Sends one operation: rate limit, credentials, one retry after a 401; reports each request to onCall. */
  async function send(op: Operation): Promise<unknown> {
    const seen: PortalCredentials[] = [];
    let credentials = await loadCredentials(false);
    seen.push(credentials);
    for (let attempt = 1; ; attempt++) {
      const redact = makeRedactor(op, seen);
      const pass = await coldClient.enter();
      try {
        await options.rateLimiter?.acquire(
          pass.warming ? { lateByUpToMs: COLD_CLIENT_LATENESS_MS } : undefined,
        );
      } catch (error) {
        pass.settle(false);
        throw error;
      }
      const started = performance.now();
      let status: number | undefined;
      let outcome = "ok";
      try {
        const answer = await exchange(op, credentials, redact);
        status = answer.status;
        if (status === 401 && attempt === 1) {
          outcome = "PortalUnauthorized";
        } else if (status >= 200 && status < 300) {
          return jsonFrom(op, answer, redact);
        } else {
          throw errorFor(op, answer, redact);
        }
      } catch (error) {
        outcome = (error as { name?: string })?.name ?? "Error";
        throw error;
      } finally {
        pass.settle(status !== undefined);
        report(op, attempt, status, outcome, performance.now() - started);
      }
      // The secret may have been rotated since it was cached: read it once more, then try once more.
      credentials = await loadCredentials(true);
      seen.push(credentials);
    }
  }

  function report(op: Operation, attempt: number, status: number | undefined, outcome: string, ms: number) {
    if (!options.onCall) return;
    const call: PortalCallRecord = {
      method: op.method,
      path: op.path,
      ...(status === undefined ? {} : { status }),
      durationMs: Math.round(ms),
      outcome,
      attempt,
      ...(op.customerKey ? { keyMasked: maskKeyTail(op.customerKey) } : {}),
    };
    try {
      options.onCall(call);
    } catch {
      // A metrics hook must never turn a portal success into a failure.
    }
  }

  async function listKeysPage(offset: number): Promise<KeyPage> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidInput(`listKeysPage: offset must be a non-negative integer, got ${offset}`);
    }
    const op: Operation = { method: "GET", path: `/apikeys?Offset=${offset}&Limit=${PORTAL_PAGE_SIZE}` };
    const json = await send(op);
    const parsed = parsePortalKeyList(json);
    if (!parsed.ok) {
      throw new PortalResponseInvalid(
        redactCustomerKeys(`${describe(op)} returned ${parsed.problem}`),
        false,
      );
    }
    // A key the page names twice is listed once (its callers write one item per key, and DynamoDB refuses a batch
    // naming an item twice); twice with different fields, the page cannot say which is true.
    const keys: PortalKey[] = [];
    const firstAt = new Map<string, number>();
    for (const [index, key] of parsed.value.entries()) {
      const earlier = firstAt.get(key.customerKey);
      if (earlier === undefined) {
        firstAt.set(key.customerKey, index);
        keys.push(key);
      } else if (!sameKey(parsed.value[earlier]!, key)) {
        throw new PortalResponseInvalid(
          `${describe(op)} returned item [${index}] repeating the key of item [${earlier}] with different fields`,
          false,
        );
      }
    }
    // Full or not is the portal's count, repeats included.
    const full = parsed.value.length === PORTAL_PAGE_SIZE;
    return { keys, nextOffset: full ? offset + PORTAL_PAGE_SIZE : null };
  }

  async function listKeys(): Promise<PortalKey[]> {
    const all: PortalKey[] = [];
    const seen = new Set<string>();
    let offset: number | null = 0;
    for (let page = 0; offset !== null; page++) {
      if (page >= MAX_LIST_PAGES) {
        throw new PortalResponseInvalid(
          `GET /apikeys kept returning full pages past ${MAX_LIST_PAGES * PORTAL_PAGE_SIZE} keys; listing stopped`,
        );
      }
      const result: KeyPage = await listKeysPage(offset);
      const repeated = result.keys.filter((k) => seen.has(k.customerKey)).length;
      if (result.nextOffset !== null && repeated === result.keys.length) {
        // A full page of keys already listed: the portal ignores Offset, and following it would loop forever or
        // hide keys. (A few repeats are keys shifting between pages while we list; they are skipped below.)
        throw new PortalResponseInvalid(
          `GET /apikeys?Offset=${offset}&Limit=${PORTAL_PAGE_SIZE} repeated ${repeated} keys from earlier pages; ` +
            "the portal may be ignoring Offset, so the listing cannot be trusted",
        );
      }
      for (const key of result.keys) {
        if (seen.has(key.customerKey)) continue;
        seen.add(key.customerKey);
        all.push(key);
      }
      offset = result.nextOffset;
    }
    return all;
  }

  async function createKey(): Promise<PortalKey> {
    const op: Operation = { method: "POST", path: "/apikeys" };
    const json = await send(op);
    const parsed = parsePortalKey(json);
    if (!parsed.ok) {
      // A 2xx arrived, so the key was most likely created even though its body cannot be read.
      throw new PortalResponseInvalid(redactCustomerKeys(`${describe(op)} returned ${parsed.problem}`), true);
    }
    return parsed.value;
  }

  async function updateKey(request: UpdateKeyRequest): Promise<PortalKey> {
    const customerKey: unknown = request?.customerKey;
    if (typeof customerKey !== "string" || !CUSTOMER_KEY_SHAPE.test(customerKey)) {
      const got =
        typeof customerKey === "string" ? `${customerKey.length} characters` : describeJsonType(customerKey);
      throw new InvalidInput(`updateKey: customerKey must be 16 upper-case letters or digits (got ${got})`);
    }
    const body: Record<string, string> = { CustomerKey: customerKey };
    if (request.keyStatus !== undefined) {
      if (!SETTABLE_STATUSES.includes(request.keyStatus)) {
        throw new InvalidInput(
          redactCustomerKeys(
            `updateKey for key ${maskKeyTail(customerKey)}: keyStatus must be Enabled or DisabledByDeveloper, got "${String(request.keyStatus)}"`,
            customerKey,
          ),
        );
      }
      body.KeyStatus = request.keyStatus;
    }
    if (request.devRefId !== undefined) {
      if (typeof request.devRefId !== "string") {
        throw new InvalidInput(
          `updateKey for key ${maskKeyTail(customerKey)}: devRefId must be a string, got ${describeJsonType(request.devRefId)}`,
        );
      }
      body.DevRefId = request.devRefId;
    }
    const op: Operation = { method: "PUT", path: "/apikeys", body: JSON.stringify(body), customerKey };
    const json = await send(op);
    const redact = (text: string) => redactCustomerKeys(text, customerKey);
    const parsed = parsePortalKey(json);
    if (!parsed.ok) {
      throw new PortalResponseInvalid(redact(`${describe(op)} returned ${parsed.problem}`), true);
    }
    if (parsed.value.customerKey !== customerKey) {
      throw new PortalResponseInvalid(
        redact(
          `${describe(op)} returned key ${maskKeyTail(parsed.value.customerKey)} instead of the one updated`,
        ),
        true,
      );
    }
    return parsed.value;
  }

  return { listKeys, listKeysPage, createKey, updateKey };
}
