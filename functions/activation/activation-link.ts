// An activation link's record and the pure rules of its life: issued → revealed once, or revoked, or expired.
// The store persists these records; the page handler asks these functions what a request may do.
import { activationKeyFingerprint, newActivationToken } from "./activation-token.js";

/** Why a link stopped working before it was used. */
export type RevocationReason = "replaced" | "offboarded" | "keyChanged" | "operator";

/** One activation link as stored. Never holds the token or the key, only their hashes. */
export interface ActivationLink {
  readonly practiceId: string;
  /** SHA-256 of the token (hex); the store's lookup key. */
  readonly tokenHash: string;
  /** The key the link reveals, bound by a salted hash (activationKeyFingerprint). */
  readonly keyFingerprint: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  /** Who asked for it (an operator, or `onboarding` when issued on PracticeOnboarded). */
  readonly issuedBy?: string;
  readonly revealedAt?: string;
  readonly revokedAt?: string;
  readonly revokedReason?: RevocationReason;
}

export type ActivationLinkState = "open" | "revealed" | "revoked" | "expired";

/** Shortest and longest lifetimes a link may be issued with. */
export const MIN_LINK_LIFETIME_MS = 5 * 60_000;
export const MAX_LINK_LIFETIME_MS = 30 * 86_400_000;
/** `ops activation-link` without `--expires`. */
export const DEFAULT_LINK_LIFETIME_MS = 7 * 86_400_000;

/**
 * Where a link stands at `now`. A spent link stays "revealed" even after it expires or is revoked: the page then
 * says it was already used, which is what the office needs to hear.
 */
export function activationLinkState(link: ActivationLink, now: Date): ActivationLinkState {
  if (link.revealedAt) return "revealed";
  if (link.revokedAt) return "revoked";
  if (now.getTime() >= Date.parse(link.expiresAt)) return "expired";
  return "open";
}

export interface NewActivationLinkRequest {
  readonly practiceId: string;
  /** Names the practice's current key (ActivationKey.keyBinding): only a hash salted with the token is kept. */
  readonly keyBinding: string;
  readonly now: Date;
  readonly lifetimeMs?: number;
  readonly issuedBy?: string;
}

/** A new link and the token for its URL. @throws RangeError for a lifetime outside 5 minutes … 30 days. */
export function newActivationLink(request: NewActivationLinkRequest): {
  readonly token: string;
  readonly link: ActivationLink;
} {
  const lifetimeMs = request.lifetimeMs ?? DEFAULT_LINK_LIFETIME_MS;
  if (!Number.isFinite(lifetimeMs) || lifetimeMs < MIN_LINK_LIFETIME_MS || lifetimeMs > MAX_LINK_LIFETIME_MS)
    throw new RangeError("An activation link must expire between 5 minutes and 30 days after it is issued");
  if (!request.practiceId) throw new RangeError("An activation link needs a practice id");
  if (!request.keyBinding) throw new RangeError(`Practice ${request.practiceId} has no key to activate`);
  const { token, tokenHash } = newActivationToken();
  return {
    token,
    link: {
      practiceId: request.practiceId,
      tokenHash,
      keyFingerprint: activationKeyFingerprint(tokenHash, request.keyBinding),
      issuedAt: request.now.toISOString(),
      expiresAt: new Date(request.now.getTime() + lifetimeMs).toISOString(),
      ...(request.issuedBy ? { issuedBy: request.issuedBy } : {}),
    },
  };
}

/** The links a new issue for the same practice revokes: every one still open (one open link per practice). */
export function linksRevokedByNewIssue(
  existing: readonly ActivationLink[],
  now: Date,
): readonly ActivationLink[] {
  return existing.filter((link) => activationLinkState(link, now) === "open");
}

/** The link after a reveal at `now`; `undefined` when it may not be revealed (the caller says why from the state). */
export function revealActivationLink(link: ActivationLink, now: Date): ActivationLink | undefined {
  if (activationLinkState(link, now) !== "open") return undefined;
  return { ...link, revealedAt: now.toISOString() };
}

/** The link after a revocation at `now`; `undefined` when it was no longer open (nothing to revoke). */
export function revokeActivationLink(
  link: ActivationLink,
  now: Date,
  reason: RevocationReason,
): ActivationLink | undefined {
  if (activationLinkState(link, now) !== "open") return undefined;
  return { ...link, revokedAt: now.toISOString(), revokedReason: reason };
}
