// The practice's latest activation link as `ops status` shows it: the funnel's "link issued → revealed" with
// times, named by its link id (never the token, which the table does not hold).
import { type ActivationLinkState, activationLinkState } from "../functions/activation/activation-link.js";
import { activationLinkId } from "../functions/activation/activation-token.js";
import { DynamoActivationLinkStore } from "../functions/practice/activation-link-store.js";
import { STACK_OUTPUTS } from "../local/local-endpoints.js";
import type { OpsTarget } from "./targets.js";

export interface ActivationLinkView {
  readonly linkId: string;
  readonly state: ActivationLinkState;
  readonly issuedAt: string;
  readonly issuedBy?: string;
  readonly expiresAt: string;
  readonly revealedAt?: string;
  readonly revokedAt?: string;
  readonly revokedReason?: string;
}

/** The latest link of the practice, or null when none was ever issued. */
export async function latestActivationLink(
  target: OpsTarget,
  practiceId: string,
  now = new Date(),
): Promise<ActivationLinkView | null> {
  const store = new DynamoActivationLinkStore({
    client: target.documentClient,
    tableName: target.output(STACK_OUTPUTS.tableName, "practice table"),
  });
  const link = await store.latestForPractice(practiceId);
  if (!link) return null;
  return {
    linkId: activationLinkId(link.tokenHash),
    state: activationLinkState(link, now),
    issuedAt: link.issuedAt,
    ...(link.issuedBy ? { issuedBy: link.issuedBy } : {}),
    expiresAt: link.expiresAt,
    ...(link.revealedAt ? { revealedAt: link.revealedAt } : {}),
    ...(link.revokedAt ? { revokedAt: link.revokedAt, revokedReason: link.revokedReason ?? "operator" } : {}),
  };
}
