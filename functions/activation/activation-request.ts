// Reading an HTTP API (payload v2) request to the activation routes: which route, which token, which source,
// and whether a reveal POST came from our own page.
import type { APIGatewayProxyEventV2 } from "aws-lambda";

export type ActivationRoute =
  | { readonly kind: "asset"; readonly name: string }
  | { readonly kind: "view"; readonly token: string }
  | { readonly kind: "reveal"; readonly token: string }
  | { readonly kind: "other" };

const ASSET_PATH = /\/activate\/assets\/([^/]+)$/;
const TOKEN_PATH = /\/activate\/([^/]+)$/;

/** The route a request is for, from API Gateway's path parameters or, failing those, the raw path. */
export function activationRoute(event: APIGatewayProxyEventV2): ActivationRoute {
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath ?? event.requestContext.http.path;
  const asset = ASSET_PATH.exec(path);
  if (asset && method === "GET") return { kind: "asset", name: asset[1]! };
  const token = event.pathParameters?.token ?? TOKEN_PATH.exec(path)?.[1];
  if (token === undefined || asset) return { kind: "other" };
  if (method === "GET") return { kind: "view", token };
  if (method === "POST") return { kind: "reveal", token };
  return { kind: "other" };
}

export function sourceIp(event: APIGatewayProxyEventV2): string {
  return event.requestContext.http.sourceIp || "unknown";
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * CSRF: a reveal must come from our own page. Browsers send `Sec-Fetch-Site` with form POSTs to secure origins,
 * and `Origin`; with `Referrer-Policy: no-referrer` the Fetch standard makes that Origin `null` even for our own
 * page, so `Sec-Fetch-Site: same-origin` is what vouches for it then. Refused: any other `Sec-Fetch-Site`, an
 * Origin naming another host, and a request that carries neither signal.
 */
export function isSameOriginPost(event: APIGatewayProxyEventV2): boolean {
  const fetchSite = header(event, "sec-fetch-site");
  if (fetchSite !== undefined && fetchSite !== "same-origin") return false;
  const origin = header(event, "origin");
  if (origin === undefined || origin === "null") return fetchSite === "same-origin";
  const host = header(event, "host") ?? event.requestContext.domainName;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The `token` field of the reveal form (application/x-www-form-urlencoded), or undefined. */
export function formToken(event: APIGatewayProxyEventV2): string | undefined {
  if (!event.body) return undefined;
  const body = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  if (body.length > 4096) return undefined;
  return new URLSearchParams(body).get("token") ?? undefined;
}
