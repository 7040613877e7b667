// Issuing and revoking activation links: what `ops activation-link`, the PracticeOnboarded consumer and
// offboarding call. The URL (and so the token) is returned to the caller only; audit entries get the link id, and
// the PracticeActivationLinkIssued event — stored with the link, in its transaction — the link id and expiry.
import type { OutboxMessage } from "../../contracts/domain-event-outbox.js";
import { outboxMessage } from "../domain-events/outbox-message.js";
import type { ActivationAudit } from "./activation-audit.js";
import { type ActivationLink, newActivationLink, type RevocationReason } from "./activation-link.js";
import type { ActivationLinkStore } from "./activation-link-store.js";
import { activationLinkId } from "./activation-token.js";
import type { KeySource } from "./key-source.js";

export interface ActivationLinkDeps {
  readonly store: ActivationLinkStore;
  readonly keys: KeySource;
  readonly audit: ActivationAudit;
  readonly now: () => Date;
}

export interface IssuedActivationLink {
  readonly practiceId: string;
  /** activationLinkId of the new link: what audit entries and events name it by. */
  readonly linkId: string;
  readonly issuedAt: string;
  /** `${baseUrl}/activate/${token}`: the one place the token is handed out. */
  readonly url: string;
  readonly expiresAt: string;
  /** Link ids of the open links this one replaced. */
  readonly replaced: readonly string[];
}

export class PracticeNotActivatable extends Error {
  override readonly name = "PracticeNotActivatable";
  constructor(practiceId: string) {
    super(`Practice ${practiceId} is not ACTIVE with a key: no activation link issued`);
  }
}

/**
 * Issues a link for an ACTIVE practice's current key, revoking any open one.
 * @throws PracticeNotActivatable when the practice is unknown, not ACTIVE or has no key.
 * @throws RangeError for a lifetime outside 5 minutes … 30 days.
 */
export async function issueActivationLink(
  deps: ActivationLinkDeps,
  request: { practiceId: string; baseUrl: string; lifetimeMs?: number; issuedBy?: string },
): Promise<IssuedActivationLink> {
  const key = await deps.keys.activationKey(request.practiceId);
  if (!key) throw new PracticeNotActivatable(request.practiceId);
  const now = deps.now();
  const { token, link } = newActivationLink({
    practiceId: request.practiceId,
    keyBinding: key.keyBinding,
    now,
    ...(request.lifetimeMs !== undefined ? { lifetimeMs: request.lifetimeMs } : {}),
    ...(request.issuedBy ? { issuedBy: request.issuedBy } : {}),
  });
  const { revoked } = await deps.store.issue(link, now, (replaced) => linkIssuedEvent(link, replaced));
  await auditRevocations(deps, revoked, now);
  await deps.audit({
    action: "issued",
    practiceId: link.practiceId,
    linkId: activationLinkId(link.tokenHash),
    at: now.toISOString(),
    details: { expiresAt: link.expiresAt, ...(link.issuedBy ? { issuedBy: link.issuedBy } : {}) },
  });
  return {
    practiceId: link.practiceId,
    linkId: activationLinkId(link.tokenHash),
    issuedAt: link.issuedAt,
    url: `${request.baseUrl.replace(/\/+$/, "")}/activate/${token}`,
    expiresAt: link.expiresAt,
    replaced: revoked.map((r) => activationLinkId(r.tokenHash)),
  };
}

/**
 * PracticeActivationLinkIssued for a new link (docs/events.md): its id, expiry and issuer — never its URL or token.
 * `executionName` is `activation-link-<linkId>`, so a repeated write of one link's event has one eventId.
 */
function linkIssuedEvent(link: ActivationLink, replaced: readonly ActivationLink[]): OutboxMessage {
  const linkId = activationLinkId(link.tokenHash);
  return outboxMessage({
    type: "PracticeActivationLinkIssued",
    executionName: `activation-link-${linkId}`,
    occurredAt: link.issuedAt,
    practiceId: link.practiceId,
    linkId,
    expiresAt: link.expiresAt,
    ...(link.issuedBy ? { issuedBy: link.issuedBy } : {}),
    ...(replaced.length > 0 ? { replacedLinkIds: replaced.map((r) => activationLinkId(r.tokenHash)) } : {}),
  });
}

/** Revokes every open link of a practice (offboarding, an operator); returns the revoked links' ids. */
export async function revokeActivationLinks(
  deps: Pick<ActivationLinkDeps, "store" | "audit" | "now">,
  practiceId: string,
  reason: RevocationReason,
): Promise<readonly string[]> {
  const now = deps.now();
  const revoked = await deps.store.revokeForPractice(practiceId, now, reason);
  await auditRevocations(deps, revoked, now);
  return revoked.map((r) => activationLinkId(r.tokenHash));
}

async function auditRevocations(
  deps: Pick<ActivationLinkDeps, "audit">,
  revoked: readonly ActivationLink[],
  now: Date,
): Promise<void> {
  for (const link of revoked)
    await deps.audit({
      action: "revoked",
      practiceId: link.practiceId,
      linkId: activationLinkId(link.tokenHash),
      at: now.toISOString(),
      details: { reason: link.revokedReason ?? "operator" },
    });
}
