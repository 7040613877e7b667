// The activation link's token and pure state rules, and the in-memory store against the store contract.
import { describe, expect, it } from "vitest";
import {
  activationLinkState,
  linksRevokedByNewIssue,
  newActivationLink,
  revealActivationLink,
  revokeActivationLink,
} from "../../functions/activation/activation-link.js";
import {
  activationLinkId,
  hashActivationToken,
  isWellFormedActivationToken,
  keyMatchesFingerprint,
  newActivationToken,
} from "../../functions/activation/activation-token.js";
import { InMemoryActivationLinkStore } from "../../functions/activation/in-memory-activation-link-store.js";
import { InMemorySourceRateLimiter } from "../../functions/activation/source-rate-limiter.js";
import { describeActivationLinkStoreContract } from "./activation-link-store-contract.js";

const KEY = "QJXZR4PNK5B8W2HD";
const T0 = new Date("2026-03-02T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

describe("activation token", () => {
  it("is 256 random bits in base64url, different every time, and stored only as its SHA-256", () => {
    const tokens = Array.from({ length: 200 }, () => newActivationToken());
    expect(new Set(tokens.map((t) => t.token)).size).toBe(200);
    for (const { token, tokenHash } of tokens) {
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
      expect(isWellFormedActivationToken(token)).toBe(true);
      expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(tokenHash).toBe(hashActivationToken(token));
      expect(tokenHash).not.toContain(token);
    }
    // SHA-256("abc"), FIPS 180-2 test vector.
    expect(hashActivationToken("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it.each([
    "",
    "short",
    "A".repeat(42),
    "A".repeat(44),
    `${"A".repeat(42)}=`,
    `${"A".repeat(42)}/`,
    `${"A".repeat(42)}+`,
    `${"A".repeat(41)}%2F`,
  ])("rejects %j as a token without looking it up", (value) => {
    expect(isWellFormedActivationToken(value)).toBe(false);
  });

  it("names a link by a 12-digit hash prefix", () => {
    expect(activationLinkId("ab".repeat(32))).toBe("abababababab");
  });
});

describe("activation link rules", () => {
  const { link } = newActivationLink({
    practiceId: "practice-001",
    keyBinding: KEY,
    now: T0,
    lifetimeMs: 3_600_000,
  });

  it("is bound to the key it was issued for, by a fingerprint salted with its own token hash", () => {
    expect(keyMatchesFingerprint(link.tokenHash, KEY, link.keyFingerprint)).toBe(true);
    expect(keyMatchesFingerprint(link.tokenHash, "ZZ7Q3MW9KD2PL5XA", link.keyFingerprint)).toBe(false);
    const other = newActivationLink({ practiceId: "practice-001", keyBinding: KEY, now: T0 }).link;
    expect(other.keyFingerprint).not.toBe(link.keyFingerprint);
    expect(JSON.stringify(link)).not.toContain(KEY);
  });

  it("is open until it expires, exactly at expiresAt", () => {
    expect(link.expiresAt).toBe(at(3_600_000).toISOString());
    expect(activationLinkState(link, at(3_599_999))).toBe("open");
    expect(activationLinkState(link, at(3_600_000))).toBe("expired");
  });

  it("reveals once; a revealed link stays 'revealed' after expiry and cannot be revoked", () => {
    const spent = revealActivationLink(link, at(1000))!;
    expect(spent.revealedAt).toBe(at(1000).toISOString());
    expect(revealActivationLink(spent, at(2000))).toBeUndefined();
    expect(activationLinkState(spent, at(10 * 3_600_000))).toBe("revealed");
    expect(revokeActivationLink(spent, at(2000), "offboarded")).toBeUndefined();
  });

  it("cannot reveal a revoked or expired link", () => {
    const revoked = revokeActivationLink(link, at(1000), "replaced")!;
    expect(activationLinkState(revoked, at(1000))).toBe("revoked");
    expect(revealActivationLink(revoked, at(2000))).toBeUndefined();
    expect(revealActivationLink(link, at(3_600_000))).toBeUndefined();
  });

  it("a new issue revokes only the practice's links still open", () => {
    const spent = revealActivationLink(link, at(1000))!;
    const open = newActivationLink({ practiceId: "practice-001", keyBinding: KEY, now: T0 }).link;
    const expired = newActivationLink({
      practiceId: "practice-001",
      keyBinding: KEY,
      now: T0,
      lifetimeMs: 300_000,
    }).link;
    expect(linksRevokedByNewIssue([spent, open, expired], at(300_000))).toEqual([open]);
  });

  it.each([0, 299_999, 30 * 86_400_000 + 1, Number.NaN])("refuses a lifetime of %d ms", (lifetimeMs) => {
    expect(() => newActivationLink({ practiceId: "p", keyBinding: KEY, now: T0, lifetimeMs })).toThrow(
      RangeError,
    );
  });

  it("defaults to a 7-day lifetime", () => {
    const { link: week } = newActivationLink({ practiceId: "p", keyBinding: KEY, now: T0 });
    expect(week.expiresAt).toBe(at(7 * 86_400_000).toISOString());
  });
});

describe("InMemorySourceRateLimiter", () => {
  it("allows `limit` requests per source per window, counts sources apart, and reopens after the window", async () => {
    const limiter = new InMemorySourceRateLimiter({ limit: 2, windowMs: 60_000 });
    expect((await limiter.take("198.51.100.7", T0)).allowed).toBe(true);
    expect((await limiter.take("198.51.100.7", at(1000))).allowed).toBe(true);
    expect(await limiter.take("198.51.100.7", at(15_000))).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect((await limiter.take("203.0.113.9", at(15_000))).allowed).toBe(true);
    expect((await limiter.take("198.51.100.7", at(60_000))).allowed).toBe(true);
  });
});

describeActivationLinkStoreContract(
  "InMemoryActivationLinkStore",
  async () => new InMemoryActivationLinkStore(),
);
