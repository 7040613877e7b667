// A tiny local HTTP server for the activation page's tests: Node requests become HTTP API v2 events (the same
// adapter the local stack uses, local/http-api.ts) for the activation handler, with in-memory parts behind it.
import { createServer, type Server } from "node:http";
import { Logger } from "@aws-lambda-powertools/logger";
import type { ActivationAuditEntry } from "../../functions/activation/activation-audit.js";
import {
  type ActivationHttpHandler,
  createActivationHttpHandler,
} from "../../functions/activation/activation-http.js";
import { issueActivationLink } from "../../functions/activation/activation-links.js";
import { InMemoryActivationLinkStore } from "../../functions/activation/in-memory-activation-link-store.js";
import type { ActivationKey, KeySource } from "../../functions/activation/key-source.js";
import {
  InMemorySourceRateLimiter,
  type SourceRateLimiter,
} from "../../functions/activation/source-rate-limiter.js";
import { findHttpApiRoute, toHttpApiEvent, writeHttpApiResult } from "../../local/http-api.js";

/** The routes lib/webhook-api.ts is to declare for the page. */
export const ACTIVATION_ROUTES = [
  { method: "GET", path: "/activate/assets/{asset}" },
  { method: "GET", path: "/activate/{token}" },
  { method: "POST", path: "/activate/{token}" },
] as const;

/** Practices by id, as the practice store's ACTIVE records would answer; delete one to "offboard" it. */
export class MapKeySource implements KeySource {
  readonly practices = new Map<
    string,
    { readonly practiceId: string; readonly devRefId: string; readonly customerKey: string }
  >();
  async activationKey(practiceId: string): Promise<ActivationKey | undefined> {
    const practice = this.practices.get(practiceId);
    if (!practice) return undefined;
    // As the practice store: bound by a name of the key (here the key's tail), opened only on reveal.
    return {
      practiceId,
      devRefId: practice.devRefId,
      keyBinding: `binding-of-${practice.customerKey}`,
      reveal: async () => practice.customerKey,
    };
  }
}

export interface ActivationTestServer {
  readonly url: string;
  readonly store: InMemoryActivationLinkStore;
  readonly keys: MapKeySource;
  readonly audit: ActivationAuditEntry[];
  /** Moves the handler's clock (expiry tests). */
  clock: Date;
  issue(practiceId: string, lifetimeMs?: number): Promise<{ url: string; token: string; expiresAt: string }>;
  close(): Promise<void>;
}

export async function startActivationTestServer(
  options: { rateLimiter?: SourceRateLimiter } = {},
): Promise<ActivationTestServer> {
  const store = new InMemoryActivationLinkStore();
  const keys = new MapKeySource();
  const audit: ActivationAuditEntry[] = [];
  const state = { clock: new Date() };
  // A real Powertools Logger, so the leak tests read the JSON lines production would write.
  const logger = new Logger({ serviceName: "activation-test" });
  const handler: ActivationHttpHandler = createActivationHttpHandler({
    store,
    keys,
    rateLimiter: options.rateLimiter ?? new InMemorySourceRateLimiter({ limit: 1000, windowMs: 60_000 }),
    audit: (entry) => {
      audit.push(entry);
    },
    logger,
    now: () => state.clock,
  });

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const match = findHttpApiRoute(ACTIVATION_ROUTES, request.method, url.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (!match) {
      response.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
      return;
    }
    const event = toHttpApiEvent(request, match.route, Buffer.concat(chunks), url, match.pathParameters);
    writeHttpApiResult(response, await handler(event));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  return {
    url: baseUrl,
    store,
    keys,
    audit,
    get clock() {
      return state.clock;
    },
    set clock(value: Date) {
      state.clock = value;
    },
    async issue(practiceId, lifetimeMs) {
      const issued = await issueActivationLink(
        { store, keys, audit: (entry) => void audit.push(entry), now: () => state.clock },
        { practiceId, baseUrl, ...(lifetimeMs ? { lifetimeMs } : {}), issuedBy: "test" },
      );
      return { url: issued.url, token: issued.url.split("/").pop()!, expiresAt: issued.expiresAt };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
