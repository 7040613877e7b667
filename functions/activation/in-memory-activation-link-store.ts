// An ActivationLinkStore in a Map, for tests and the page's local server. Each method runs without awaiting
// in between, so on Node's single thread it is as atomic as the conditional writes it stands in for.

import type { OutboxMessage } from "../../contracts/domain-event-outbox.js";
import {
  type ActivationLink,
  linksRevokedByNewIssue,
  type RevocationReason,
  revealActivationLink,
  revokeActivationLink,
} from "./activation-link.js";
import type { ActivationLinkStore, AnnounceIssue, MarkRevealedResult } from "./activation-link-store.js";

export class InMemoryActivationLinkStore implements ActivationLinkStore {
  readonly #links = new Map<string, ActivationLink>();
  /** The events issues announced, oldest first (the table's outbox, in memory). */
  readonly announced: OutboxMessage[] = [];

  async issue(
    link: ActivationLink,
    now: Date,
    announce?: AnnounceIssue,
  ): Promise<{ readonly revoked: readonly ActivationLink[] }> {
    if (this.#links.has(link.tokenHash)) throw new Error("An activation link with this token already exists");
    // Built before anything changes: an event that cannot be made leaves the links as they were.
    const toRevoke = linksRevokedByNewIssue(this.linksOf(link.practiceId), now);
    const message = announce?.(toRevoke.map((l) => revokeActivationLink(l, now, "replaced")!));
    const revoked = this.#revoke(link.practiceId, now, "replaced");
    this.#links.set(link.tokenHash, link);
    if (message) this.announced.push(message);
    return { revoked };
  }

  async findByTokenHash(tokenHash: string): Promise<ActivationLink | undefined> {
    return this.#links.get(tokenHash);
  }

  async markRevealed(tokenHash: string, now: Date): Promise<MarkRevealedResult> {
    const link = this.#links.get(tokenHash);
    const spent = link && revealActivationLink(link, now);
    if (!spent) return link ? { outcome: "notOpen", link } : { outcome: "notOpen" };
    this.#links.set(tokenHash, spent);
    return { outcome: "revealed", link: spent };
  }

  async revokeForPractice(
    practiceId: string,
    now: Date,
    reason: RevocationReason,
  ): Promise<readonly ActivationLink[]> {
    return this.#revoke(practiceId, now, reason);
  }

  /** Every link of the practice, oldest first (for tests and the funnel's "link issued → revealed" view). */
  linksOf(practiceId: string): readonly ActivationLink[] {
    return [...this.#links.values()]
      .filter((link) => link.practiceId === practiceId)
      .sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
  }

  /** Test seam: replaces a stored link as a concurrent writer or the clock would have changed it. */
  put(link: ActivationLink): void {
    this.#links.set(link.tokenHash, link);
  }

  #revoke(practiceId: string, now: Date, reason: RevocationReason): ActivationLink[] {
    const revoked: ActivationLink[] = [];
    for (const link of linksRevokedByNewIssue(this.linksOf(practiceId), now)) {
      const after = revokeActivationLink(link, now, reason)!;
      this.#links.set(link.tokenHash, after);
      revoked.push(after);
    }
    return revoked;
  }
}
