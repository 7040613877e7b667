// Issuing an activation link on PracticeOnboarded (when the stack is configured to: lib/activation-auto-issue.ts).
// The link's URL holds its token, and a token may never go into an event, execution state, a log or an output
// (docs/architecture.md §4, invariant 6): so the URL made here is dropped, and the table keeps only its hash.
// The link starts the funnel (`ops list` shows "link issued") and PracticeActivationLinkIssued — written with the
// link, in its transaction (activation-links.ts) — tells the CRM; the vendor gets a URL to send with
// `ops activation-link <practiceId> --json`, which issues a fresh one and revokes this one (README, "Getting the
// key to the office").
import type { ActivationLink } from "./activation-link.js";
import { type ActivationLinkDeps, issueActivationLink, PracticeNotActivatable } from "./activation-links.js";

/** `issuedBy` of a link issued on PracticeOnboarded (the event schema names it so). */
export const AUTO_ISSUER = "onboarding";

export interface AutoIssueDeps extends ActivationLinkDeps {
  readonly store: ActivationLinkDeps["store"] & {
    /** The practice's latest link, whatever its state. */
    latestForPractice(practiceId: string): Promise<ActivationLink | undefined>;
  };
}

export type AutoIssueOutcome =
  | {
      readonly issued: true;
      readonly practiceId: string;
      readonly linkId: string;
      readonly expiresAt: string;
    }
  | { readonly issued: false; readonly practiceId: string; readonly reason: "alreadyIssued" | "notActive" };

/**
 * Issues a link for the onboarded practice, once per onboarding: a repeated delivery of the event (EventBridge
 * delivers at least once) finds the link it issued and does nothing; a practice no longer ACTIVE gets none.
 */
export async function issueOnOnboarded(
  deps: AutoIssueDeps,
  onboarded: { readonly practiceId: string; readonly occurredAt: string },
): Promise<AutoIssueOutcome> {
  const { practiceId } = onboarded;
  const latest = await deps.store.latestForPractice(practiceId);
  if (latest?.issuedBy === AUTO_ISSUER && Date.parse(latest.issuedAt) >= Date.parse(onboarded.occurredAt))
    return { issued: false, practiceId, reason: "alreadyIssued" };
  let issued: Awaited<ReturnType<typeof issueActivationLink>>;
  try {
    // No base URL: the URL is never handed out from here (see the file comment).
    issued = await issueActivationLink(deps, { practiceId, baseUrl: "", issuedBy: AUTO_ISSUER });
  } catch (error) {
    if (error instanceof PracticeNotActivatable) return { issued: false, practiceId, reason: "notActive" };
    throw error;
  }
  return { issued: true, practiceId, linkId: issued.linkId, expiresAt: issued.expiresAt };
}
