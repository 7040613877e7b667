// The behaviour every ActivationLinkStore must have, as a suite: run it against the in-memory store here and
// against the DynamoDB one (functions/practice/) when it is written.
import { describe, expect, it } from "vitest";
import { newActivationLink } from "../../functions/activation/activation-link.js";
import type { ActivationLinkStore } from "../../functions/activation/activation-link-store.js";

const KEY = "QJXZR4PNK5B8W2HD";
const T0 = new Date("2026-03-02T10:00:00.000Z");
const later = (ms: number) => new Date(T0.getTime() + ms);

export function describeActivationLinkStoreContract(
  name: string,
  makeStore: () => Promise<ActivationLinkStore>,
) {
  describe(`${name} (ActivationLinkStore contract)`, () => {
    const link = (practiceId = "practice-001", lifetimeMs = 3_600_000, now = T0) =>
      newActivationLink({ practiceId, keyBinding: KEY, now, lifetimeMs }).link;

    it("finds an issued link by its token hash, and nothing by another", async () => {
      const store = await makeStore();
      const issued = link();
      expect(await store.issue(issued, T0)).toEqual({ revoked: [] });
      expect(await store.findByTokenHash(issued.tokenHash)).toEqual(issued);
      expect(await store.findByTokenHash("0".repeat(64))).toBeUndefined();
    });

    it("revokes the practice's open link when a new one is issued, and no other practice's", async () => {
      const store = await makeStore();
      const first = link();
      const other = link("practice-002");
      await store.issue(first, T0);
      await store.issue(other, T0);
      const { revoked } = await store.issue(link("practice-001", 3_600_000, later(1000)), later(1000));
      expect(revoked.map((r) => [r.tokenHash, r.revokedReason, r.revokedAt])).toEqual([
        [first.tokenHash, "replaced", later(1000).toISOString()],
      ]);
      expect((await store.findByTokenHash(other.tokenHash))?.revokedAt).toBeUndefined();
    });

    it("marks a link revealed once; the second, a revoked and an expired link are notOpen", async () => {
      const store = await makeStore();
      const open = link();
      await store.issue(open, T0);
      const first = await store.markRevealed(open.tokenHash, later(1000));
      expect(first).toEqual({
        outcome: "revealed",
        link: { ...open, revealedAt: later(1000).toISOString() },
      });
      expect((await store.markRevealed(open.tokenHash, later(2000))).outcome).toBe("notOpen");

      const revoked = link("practice-002");
      await store.issue(revoked, T0);
      await store.revokeForPractice("practice-002", later(1000), "offboarded");
      expect((await store.markRevealed(revoked.tokenHash, later(2000))).outcome).toBe("notOpen");

      const expiring = link("practice-003", 300_000);
      await store.issue(expiring, T0);
      expect((await store.markRevealed(expiring.tokenHash, later(300_000))).outcome).toBe("notOpen");
      expect(await store.markRevealed("f".repeat(64), T0)).toEqual({ outcome: "notOpen" });
    });

    it("lets one of many concurrent reveals win", async () => {
      const store = await makeStore();
      const open = link();
      await store.issue(open, T0);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.markRevealed(open.tokenHash, T0)),
      );
      expect(results.filter((r) => r.outcome === "revealed")).toHaveLength(1);
    });

    it("revokes only open links for a practice, leaving a revealed one as it was", async () => {
      const store = await makeStore();
      const spent = link();
      await store.issue(spent, T0);
      await store.markRevealed(spent.tokenHash, later(1000));
      expect(await store.revokeForPractice("practice-001", later(2000), "offboarded")).toEqual([]);
      const open = link("practice-001", 3_600_000, later(3000));
      await store.issue(open, later(3000));
      const revoked = await store.revokeForPractice("practice-001", later(4000), "offboarded");
      expect(revoked.map((r) => r.tokenHash)).toEqual([open.tokenHash]);
      expect((await store.findByTokenHash(spent.tokenHash))?.revokedAt).toBeUndefined();
    });
  });
}
