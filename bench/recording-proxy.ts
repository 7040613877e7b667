// A pass-through HTTP proxy that records every request it forwards (method, path, AWS operation, body, answer),
// so the benchmark counts the real traffic to DynamoDB Local, the local AWS endpoint and the portal simulator
// instead of estimating it, and can replay the exact same requests as the "floor".
import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  /** 1-based, in arrival order. */
  readonly seq: number;
  readonly method: string;
  /** Path and query as received. */
  readonly path: string;
  /** `X-Amz-Target` (e.g. `DynamoDB_20120810.GetItem`), when the request carries one. */
  readonly target?: string;
  /** The request body as the client sent it (before any rewrite). */
  readonly body: string;
  /** Request headers worth replaying (content type, target, authorization). */
  readonly headers: Readonly<Record<string, string>>;
  readonly startedAt: number;
  endedAt?: number;
  status?: number;
  /** The answer's body, when `keepResponses` is on. */
  responseBody?: string;
}

export interface RecordingProxyOptions {
  /** Where requests go: an origin such as `http://127.0.0.1:8000`; the request path is appended. */
  readonly target: string;
  /** Rewrites the request body before forwarding (the recorded body is the original). */
  readonly rewriteBody?: (body: string, target: string | undefined) => string;
  /** Keep each answer's body (needed to read ConsumedCapacity or a created key). @default false */
  readonly keepResponses?: boolean;
}

export type RequestObserver = (request: RecordedRequest) => void;

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Everything forwarded so far. */
  readonly requests: RecordedRequest[];
  /** Requests from `fromSeq` (inclusive) on. */
  since(fromSeq: number): RecordedRequest[];
  /** The seq the next request will get. */
  nextSeq(): number;
  /** Calls `observer` with every request once answered; returns the unsubscribe function. */
  observe(observer: RequestObserver): () => void;
  /**
   * Whether answered requests stay in `requests` (default). Off, they are only passed to observers, so a long
   * run (100,000 keys reconciled) does not keep every body in memory.
   */
  retain: boolean;
  close(): Promise<void>;
}

const REPLAYED_HEADERS = ["content-type", "x-amz-target", "authorization", "accept"];

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startRecordingProxy(options: RecordingProxyOptions): Promise<RecordingProxy> {
  const targetUrl = new URL(options.target);
  const requests: RecordedRequest[] = [];
  const observers = new Set<RequestObserver>();
  let seq = 0;
  const state = { retain: true };
  const answered = (recorded: RecordedRequest) => {
    for (const observer of observers) observer(recorded);
  };
  const server: Server = createServer(async (req, res) => {
    const body = (await readAll(req)).toString("utf8");
    const target = header(req, "x-amz-target");
    const recorded: RecordedRequest = {
      seq: ++seq,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      ...(target ? { target } : {}),
      body,
      headers: Object.fromEntries(
        REPLAYED_HEADERS.flatMap((name) => {
          const value = header(req, name);
          return value === undefined ? [] : [[name, value]];
        }),
      ),
      startedAt: performance.now(),
    };
    if (state.retain) requests.push(recorded);
    const forwarded = options.rewriteBody ? options.rewriteBody(body, target) : body;
    const headers = { ...req.headers, host: targetUrl.host, "content-length": Buffer.byteLength(forwarded) };
    delete headers["transfer-encoding"];
    const upstream = httpRequest({
      host: targetUrl.hostname,
      port: targetUrl.port,
      method: req.method,
      path: req.url,
      headers,
    });
    upstream.on("error", () => {
      // The target dropped the connection (e.g. the simulator's commit-then-drop): do the same to the client.
      recorded.endedAt = performance.now();
      answered(recorded);
      res.socket?.destroy();
    });
    upstream.on("response", async (answer) => {
      const answerBody = await readAll(answer);
      recorded.status = answer.statusCode ?? 0;
      recorded.endedAt = performance.now();
      if (options.keepResponses) recorded.responseBody = answerBody.toString("utf8");
      answered(recorded);
      const answerHeaders = { ...answer.headers, "content-length": answerBody.length };
      delete answerHeaders["transfer-encoding"];
      res.writeHead(recorded.status, answerHeaders);
      res.end(answerBody);
    });
    upstream.end(forwarded);
  });
  // Many concurrent executions keep connections open; the defaults would cut idle keep-alive sockets mid-run.
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    since: (fromSeq) => requests.filter((request) => request.seq >= fromSeq),
    nextSeq: () => seq + 1,
    observe(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    get retain() {
      return state.retain;
    },
    set retain(value: boolean) {
      state.retain = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
