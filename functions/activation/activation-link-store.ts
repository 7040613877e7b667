// Where activation links live. The page and the ops command depend on this interface only; the DynamoDB
// implementation belongs with the practice table's single writer (functions/practice/, docs/architecture.md §5).
import type { OutboxMessage } from "../../contracts/domain-event-outbox.js";
import type { ActivationLink, RevocationReason } from "./activation-link.js";

/** The event announcing an issued link (PracticeActivationLinkIssued), given the links its issue revoked. */
export type AnnounceIssue = (revoked: readonly ActivationLink[]) => OutboxMessage;

export type MarkRevealedResult =
  | { readonly outcome: "revealed"; readonly link: ActivationLink }
  /** Already revealed, revoked or expired by `now` (a lost race included); `link` as it now stands, if any. */
  | { readonly outcome: "notOpen"; readonly link?: ActivationLink };

export interface ActivationLinkStore {
  /**
   * Stores a new link and, in the same atomic write, revokes (reason `replaced`) every link of the same practice
   * that is still open at `now` and records the event `announce` makes of it (the table's outbox,
   * docs/events.md "Delivery"). Returns the links it revoked.
   */
  issue(
    link: ActivationLink,
    now: Date,
    announce?: AnnounceIssue,
  ): Promise<{ readonly revoked: readonly ActivationLink[] }>;
  findByTokenHash(tokenHash: string): Promise<ActivationLink | undefined>;
  /**
   * Spends the link: a conditional write that succeeds only while it is unrevealed, unrevoked and unexpired at
   * `now`, so two concurrent reveals cannot both succeed.
   */
  markRevealed(tokenHash: string, now: Date): Promise<MarkRevealedResult>;
  /** Revokes every open link of the practice (offboarding, a changed key, an operator). Returns those revoked. */
  revokeForPractice(
    practiceId: string,
    now: Date,
    reason: RevocationReason,
  ): Promise<readonly ActivationLink[]>;
}
