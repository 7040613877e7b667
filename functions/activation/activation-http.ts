// The activation page's HTTP handler (API Gateway HTTP API, payload v2):
//   GET  /activate/{token}          the practice's name, the Open Dental steps and a "Reveal key" button
//   POST /activate/{token}          reveals the key once (mail scanners prefetch GETs, so a GET never reveals)
//   GET  /activate/assets/{name}    the page's script and stylesheet (the CSP forbids inline ones)
// Logs and audit entries carry the link id (a hash prefix), never the token or the key.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ACTIVATION_ASSETS } from "./activation-assets.js";
import type { ActivationAudit, ActivationAuditEntry } from "./activation-audit.js";
import { type ActivationLink, activationLinkState } from "./activation-link.js";
import type { ActivationLinkStore } from "./activation-link-store.js";
import {
  activationErrorPage,
  activationLandingPage,
  activationRejectedPage,
  activationRevealedPage,
  activationSpentPage,
  activationTooManyRequestsPage,
  activationUnavailablePage,
} from "./activation-pages.js";
import { activationRoute, formToken, isSameOriginPost, sourceIp } from "./activation-request.js";
import {
  activationLinkId,
  hashActivationToken,
  isWellFormedActivationToken,
  keyMatchesFingerprint,
} from "./activation-token.js";
import type { ActivationKey, KeySource } from "./key-source.js";
import type { SourceRateLimiter } from "./source-rate-limiter.js";

/** Every response, page or asset: nothing cached, nothing framed, no referrer, only our own script and style. */
export const ACTIVATION_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

/** The structured-logging subset the handler uses (Powertools' Logger fits it). */
export interface ActivationLogger {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface ActivationPageDeps {
  readonly store: ActivationLinkStore;
  readonly keys: KeySource;
  readonly rateLimiter: SourceRateLimiter;
  readonly audit: ActivationAudit;
  readonly logger: ActivationLogger;
  readonly now: () => Date;
}

export type ActivationHttpHandler = (
  event: APIGatewayProxyEventV2,
) => Promise<APIGatewayProxyStructuredResultV2>;

function respond(
  statusCode: number,
  body: string,
  contentType = "text/html; charset=utf-8",
  extra: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { "content-type": contentType, ...ACTIVATION_SECURITY_HEADERS, ...extra },
    body,
  };
}

const unavailable = (status: 404 | 410) => respond(status, activationUnavailablePage());

/** The practice's key when the link may still show it: the practice is ACTIVE and its key is the bound one. */
async function boundKey(keys: KeySource, link: ActivationLink): Promise<ActivationKey | undefined> {
  const key = await keys.activationKey(link.practiceId);
  if (!key || !keyMatchesFingerprint(link.tokenHash, key.keyBinding, link.keyFingerprint)) return undefined;
  return key;
}

export function createActivationHttpHandler(deps: ActivationPageDeps): ActivationHttpHandler {
  async function audit(entry: Omit<ActivationAuditEntry, "at">, now: Date): Promise<void> {
    await deps.audit({ ...entry, at: now.toISOString() });
  }

  /** A page for a link that cannot be shown or revealed, with the audit entry that says why. */
  async function closed(
    link: ActivationLink,
    now: Date,
    ip: string,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const state = activationLinkState(link, now);
    const linkId = activationLinkId(link.tokenHash);
    await audit(
      {
        action: state === "expired" ? "expired" : "viewed",
        practiceId: link.practiceId,
        linkId,
        sourceIp: ip,
        details: { state },
      },
      now,
    );
    deps.logger.info("Activation link refused", { linkId, practiceId: link.practiceId, state });
    return state === "revealed" ? respond(410, activationSpentPage()) : unavailable(410);
  }

  async function handleToken(
    kind: "view" | "reveal",
    event: APIGatewayProxyEventV2,
    token: string,
    now: Date,
    ip: string,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    if (kind === "reveal" && (!isSameOriginPost(event) || formToken(event) !== token)) {
      deps.logger.warn("Activation reveal refused: not a same-origin form post of this link", {
        sourceIp: ip,
      });
      return respond(403, activationRejectedPage());
    }
    if (!isWellFormedActivationToken(token)) return unavailable(404);
    const tokenHash = hashActivationToken(token);
    const link = await deps.store.findByTokenHash(tokenHash);
    if (!link) {
      deps.logger.info("Activation link unknown", { sourceIp: ip });
      return unavailable(404);
    }
    if (activationLinkState(link, now) !== "open") return closed(link, now, ip);
    const linkId = activationLinkId(tokenHash);
    const key = await boundKey(deps.keys, link);
    if (!key) {
      await audit(
        {
          action: "viewed",
          practiceId: link.practiceId,
          linkId,
          sourceIp: ip,
          details: { state: "keyNotActive" },
        },
        now,
      );
      deps.logger.info("Activation link refused", {
        linkId,
        practiceId: link.practiceId,
        state: "keyNotActive",
      });
      return unavailable(410);
    }
    if (kind === "view") {
      await audit(
        { action: "viewed", practiceId: link.practiceId, linkId, sourceIp: ip, details: { state: "open" } },
        now,
      );
      deps.logger.info("Activation link viewed", { linkId, practiceId: link.practiceId });
      return respond(200, activationLandingPage({ devRefId: key.devRefId, token }));
    }
    const spent = await deps.store.markRevealed(tokenHash, now);
    if (spent.outcome !== "revealed") return closed(spent.link ?? link, now, ip);
    await audit({ action: "revealed", practiceId: link.practiceId, linkId, sourceIp: ip }, now);
    deps.logger.info("Activation key revealed", { linkId, practiceId: link.practiceId });
    // Opened only now, for the office that asked (the page's role holds kms:Decrypt; §4 invariant 13).
    const customerKey = await key.reveal();
    return respond(200, activationRevealedPage({ devRefId: key.devRefId, customerKey }));
  }

  return async (event) => {
    const route = activationRoute(event);
    if (route.kind === "asset") {
      // Own entries only: "constructor" or "__proto__" would otherwise find Object.prototype's members.
      const asset = Object.hasOwn(ACTIVATION_ASSETS, route.name) ? ACTIVATION_ASSETS[route.name] : undefined;
      return asset ? respond(200, asset.body, asset.contentType) : respond(404, activationUnavailablePage());
    }
    if (route.kind === "other") return respond(404, activationUnavailablePage());
    const now = deps.now();
    const ip = sourceIp(event);
    try {
      const decision = await deps.rateLimiter.take(ip, now);
      if (!decision.allowed) {
        deps.logger.warn("Activation page rate limit reached", { sourceIp: ip });
        return respond(429, activationTooManyRequestsPage(), undefined, {
          "retry-after": String(decision.retryAfterSeconds),
        });
      }
      return await handleToken(route.kind, event, route.token, now, ip);
    } catch (error) {
      // The error's name only: a message from a dependency could quote the request, and so the token.
      deps.logger.error("Activation page failed", { errorName: (error as Error)?.name ?? "Error" });
      return respond(500, activationErrorPage());
    }
  };
}
