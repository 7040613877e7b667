// A stateful stand-in for the Open Dental Developer Portal `/apikeys` endpoint (docs/architecture.md §3, the seed), with
// a rate limit, fault injection and inspection, for tests, `npm start`, the demo and chaos runs.
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { maskKeyTail } from "../functions/platform/mask.js";
import type { PortalCredentials } from "../functions/portal/portal-types.js";
import { handleControlRequest, isControlPath } from "./portal-simulator-control-routes.js";
import {
  FaultPlanner,
  mergeFaults,
  mulberry32,
  NO_FAULTS,
  parseQueuedFaults,
} from "./portal-simulator-faults.js";
import {
  type Answer,
  explainAs,
  faultAnswer,
  json,
  RequestRejected,
  readBody,
  send,
} from "./portal-simulator-http.js";
import { formatLikeSeed, MAX_PAGE_SIZE, SimulatorKeyStore } from "./portal-simulator-keys.js";
import type {
  PortalSimulator,
  PortalSimulatorOptions,
  SimulatorCall,
  SimulatorStats,
} from "./portal-simulator-types.js";

export type { PortalSimulatorFaults, QueuedFault } from "./portal-simulator-faults.js";
export type { SimulatorKey, SimulatorKeyEvent, SimulatorRawKey } from "./portal-simulator-keys.js";
export type {
  ErrorBodyStyle,
  GenerateKeysOptions,
  PortalSimulator,
  PortalSimulatorOptions,
  SimulatorCall,
  SimulatorState,
  SimulatorStats,
} from "./portal-simulator-types.js";

export const DEFAULT_SIMULATOR_CREDENTIALS: PortalCredentials = {
  developerKey: "simdev-developer-key-0001",
  developerPortalKey: "simdev-portal-key-0001",
};

const WINDOW_MS = 1000;

function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

function assertRateLimit(value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new Error(`maxRequestsPerSecond must be a whole number of at least 1, got ${value}`);
  }
}

/** Starts a simulator and resolves once it is listening. */
export async function startPortalSimulator(options: PortalSimulatorOptions = {}): Promise<PortalSimulator> {
  const basePath = normalizeBasePath(options.basePath ?? "/api/v1");
  const apiPath = `${basePath}/apikeys`;
  const credentials = { ...(options.credentials ?? DEFAULT_SIMULATOR_CREDENTIALS) };
  const now = options.now ?? (() => new Date());
  const today = () => now().toISOString().slice(0, 10);
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const errorBodyStyle = options.errorBodyStyle ?? "json-string";
  const seed = options.random ?? 1;
  const startingFaults = mergeFaults(NO_FAULTS, options.faults ?? {});
  assertRateLimit(options.maxRequestsPerSecond);

  let store!: SimulatorKeyStore;
  let planner!: FaultPlanner;
  let maxRequestsPerSecond: number | undefined;
  let calls: SimulatorCall[] = [];
  let stats: SimulatorStats;
  /** Arrival times (performance.now()) of requests that counted against the limit, within the last window. */
  let accepted: number[] = [];
  /** Arrival times of every request within the last window. */
  let arrivals: number[] = [];

  function initialize(): void {
    // Separate streams so a different number of generated keys does not shift the fault dice.
    store = new SimulatorKeyStore(mulberry32(seed), today);
    planner = new FaultPlanner({ ...startingFaults }, mulberry32(seed ^ 0x9e3779b9));
    store.add(options.seedKeys ?? []);
    maxRequestsPerSecond = options.maxRequestsPerSecond;
    calls = [];
    stats = { requests: 0, byStatus: {}, rateLimited: 0, maxInAnyWindow: 0 };
    accepted = [];
    arrivals = [];
  }
  initialize();

  const timers = new Set<NodeJS.Timeout>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const explain = (status: number, explanation: string) => explainAs(errorBodyStyle, status, explanation);

  /** Counts the arrival; true when the rate limit refuses it. Exact: no more than N in any (t-1000, t]. */
  function overRateLimit(arrivedAt: number): boolean {
    const windowStart = arrivedAt - WINDOW_MS;
    arrivals = arrivals.filter((t) => t > windowStart);
    arrivals.push(arrivedAt);
    stats.maxInAnyWindow = Math.max(stats.maxInAnyWindow, arrivals.length);
    accepted = accepted.filter((t) => t > windowStart);
    if (maxRequestsPerSecond !== undefined && accepted.length >= maxRequestsPerSecond) return true;
    accepted.push(arrivedAt);
    return false;
  }

  function authorized(header: string | undefined): Answer | undefined {
    if (!header) {
      return explain(
        401,
        "Authorization header is missing. Expected: ODFHIR {DeveloperKey}/{DeveloperPortalKey}.",
      );
    }
    const match = /^ODFHIR ([^/]+)\/(.+)$/.exec(header);
    if (!match) {
      return explain(
        401,
        "Authorization header is malformed. Expected: ODFHIR {DeveloperKey}/{DeveloperPortalKey}.",
      );
    }
    if (match[1] !== credentials.developerKey || match[2] !== credentials.developerPortalKey) {
      return explain(401, "Invalid DeveloperKey or DeveloperPortalKey.");
    }
    return undefined;
  }

  function listKeys(url: URL): Answer {
    const params = new Map([...url.searchParams].map(([k, v]) => [k.toLowerCase(), v]));
    const offsetText = params.get("offset") ?? "0";
    const limitText = params.get("limit") ?? String(MAX_PAGE_SIZE);
    if (!/^\d+$/.test(offsetText)) return explain(400, "Offset must be a non-negative integer.");
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1) {
      return explain(400, "Limit must be a positive integer.");
    }
    const limit = Math.min(Number(limitText), MAX_PAGE_SIZE);
    return json(200, formatLikeSeed(store.page(Number(offsetText), limit)));
  }

  /** The normal handling of an authenticated `/apikeys` request, and which key it touched. */
  function handleApi(
    method: string,
    url: URL,
    body: string,
    call: SimulatorCall,
  ): {
    answer: Answer;
    touched?: { customerKey: string; request?: SimulatorKeyEventRequest; changed: string[] };
  } {
    if (method === "GET") return { answer: listKeys(url) };
    if (method === "POST") {
      const key = store.create();
      call.keyMasked = maskKeyTail(key.CustomerKey);
      return {
        answer: json(201, formatLikeSeed(key)),
        touched: { customerKey: key.CustomerKey, changed: ["created"] },
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { answer: explain(400, "The request body is not valid JSON.") };
    }
    const putKey = (parsed as { CustomerKey?: unknown } | null)?.CustomerKey;
    if (typeof putKey === "string") call.keyMasked = maskKeyTail(putKey);
    const outcome = store.update(parsed);
    const { KeyStatus, DevRefId } = parsed as Record<string, unknown>;
    const request = {
      ...(KeyStatus === undefined ? {} : { KeyStatus }),
      ...(DevRefId === undefined ? {} : { DevRefId }),
    };
    if (outcome.status === 200) {
      return {
        answer: json(200, formatLikeSeed(outcome.key)),
        touched: { customerKey: outcome.key.CustomerKey, request, changed: outcome.changed },
      };
    }
    const touched = outcome.customerKey
      ? { customerKey: outcome.customerKey, request, changed: [] }
      : undefined;
    return { answer: explain(outcome.status, outcome.explanation), ...(touched ? { touched } : {}) };
  }

  function finish(call: SimulatorCall): void {
    const label = call.status === null ? "none" : String(call.status);
    stats.byStatus[label] = (stats.byStatus[label] ?? 0) + 1;
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = monotonicNow();
    const url = new URL(req.url ?? "/", "http://simulator");
    if (isControlPath(url.pathname)) {
      await handleControlRequest(req, res, url, {
        simulator,
        queuedFaults: () => planner.queued(),
        maxRequestsPerSecond: () => maxRequestsPerSecond ?? null,
      });
      return;
    }
    const method = req.method ?? "GET";
    const call: SimulatorCall = {
      seq: calls.length + 1,
      at: now().toISOString(),
      method,
      path: `${url.pathname}${url.search}`,
      status: null,
    };
    calls.push(call);
    stats.requests += 1;
    try {
      await respondToApi(req, res, url, method, call, arrivedAt);
    } finally {
      finish(call);
    }
  }

  async function respondToApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    call: SimulatorCall,
    arrivedAt: number,
  ): Promise<void> {
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof RequestRejected) return send(res, call, explain(400, error.message));
      throw error;
    }
    if (overRateLimit(arrivedAt)) {
      stats.rateLimited += 1;
      call.fault = "rateLimit";
      const answer = explain(429, `Too many requests: the limit is ${maxRequestsPerSecond} per second.`);
      return send(res, call, { ...answer, headers: { "Retry-After": "1" } });
    }
    const latency = planner.latency();
    if (latency > 0) await delay(latency);
    if (planner.faults.outage) {
      call.fault = "outage";
      return send(res, call, explain(503, "The service is temporarily unavailable."));
    }
    const path = url.pathname.replace(/\/+$/, "");
    if (path !== apiPath) {
      return send(
        res,
        call,
        explain(404, `No HTTP resource was found that matches the request URI '${url.pathname}'.`),
      );
    }
    if (method !== "GET" && method !== "POST" && method !== "PUT") {
      return send(res, call, {
        ...explain(405, `The requested resource does not support http method '${method}'.`),
        headers: { Allow: "GET, POST, PUT" },
      });
    }
    const refused = authorized(req.headers.authorization);
    if (refused) return send(res, call, refused);

    const fault = planner.next(method);
    if (fault) call.fault = fault.label;
    const faulted = fault && faultAnswer(errorBodyStyle, fault);
    if (faulted) return send(res, call, faulted);
    if (fault?.kind === "timeout") {
      // Hold the request until the client gives up (or the simulator stops); nothing is applied.
      await once(res, "close");
      return;
    }

    if (fault?.kind === "slow") await delay(fault.ms);
    const { answer, touched } = handleApi(method, url, body, call);
    if (fault?.kind === "commitThenDrop") {
      record(touched, method, call, null);
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === "garbage") {
      const cut = answer.body.slice(0, Math.max(1, Math.floor(answer.body.length / 2)));
      record(touched, method, call, answer.status);
      return send(res, call, { ...answer, body: cut });
    }
    record(touched, method, call, answer.status);
    send(res, call, answer);
  }

  function record(
    touched: { customerKey: string; request?: SimulatorKeyEventRequest; changed: string[] } | undefined,
    method: string,
    call: SimulatorCall,
    status: number | null,
  ): void {
    if (!touched) return;
    store.record(touched.customerKey, {
      at: call.at,
      method: method as "POST" | "PUT",
      status,
      ...(call.fault ? { fault: call.fault } : {}),
      ...(touched.request ? { request: touched.request } : {}),
      changed: touched.changed,
    });
  }

  const server = createServer((req, res) => {
    handleRequest(req, res).catch((error) => {
      // A bug in the simulator must be visible as a 500, never a hung test.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`Simulator error: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  });
  server.listen(options.port ?? 0, options.host ?? "127.0.0.1");
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const origin = `http://${hostForUrl}:${address.port}`;

  const simulator: PortalSimulator = {
    url: `${origin}${basePath}`,
    origin,
    credentials,
    keys: () => store.snapshot(),
    calls: () => calls.map((c) => ({ ...c })),
    stats: () => ({ ...stats, byStatus: { ...stats.byStatus } }),
    state: () => ({
      keys: store.snapshot(),
      calls: calls.map((c) => ({ ...c })),
      stats: { ...stats, byStatus: { ...stats.byStatus } },
      faults: { ...planner.faults },
      queuedFaults: planner.queued(),
      maxRequestsPerSecond: maxRequestsPerSecond ?? null,
    }),
    addKeys: (raw) => store.add(raw),
    generateKeys: (count, generateOptions) => {
      if (!Number.isInteger(count) || count < 0)
        throw new Error(`count must be a whole number, got ${count}`);
      return store.generate(count, generateOptions);
    },
    assignKey: (customerKey, at) =>
      store.assign(customerKey, at ?? now().toISOString().slice(0, 19).replace("T", " ")),
    setFaults: (partial) => {
      planner.faults = mergeFaults(planner.faults, partial);
      return { ...planner.faults };
    },
    setRateLimit: (value) => {
      assertRateLimit(value);
      maxRequestsPerSecond = value;
    },
    queueFaults: (...faults) => planner.enqueue(parseQueuedFaults(faults)),
    clearQueuedFaults: () => planner.clearQueue(),
    reset: () => initialize(),
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
  return simulator;
}

type SimulatorKeyEventRequest = { KeyStatus?: unknown; DevRefId?: unknown };
