// The shown form `…W2HD #3f9a1c`: the last 4 characters and the short keyed fingerprint, nothing more of the key.
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fingerprintCustomerKey } from "../../../functions/key-custody/key-fingerprint.js";
import {
  currentMaskedKey,
  isLegacyMaskedKey,
  isMaskedKey,
  MASKED_KEY_PATTERN,
  maskCustomerKey,
} from "../../../functions/key-custody/masked-key.js";

const SECRET = new TextEncoder().encode("f".repeat(64));
const OTHER_SECRET = new TextEncoder().encode("g".repeat(64));
/** CustomerKeys as the portal issues them: 16 upper-case letters or digits. */
const customerKey = fc.string({
  unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
  minLength: 16,
  maxLength: 16,
});

describe("maskCustomerKey", () => {
  it("shows `…` + the last 4 + ` #` + the fingerprint's first 6 hex digits", () => {
    const fingerprint = fingerprintCustomerKey("QJXZR4PNK5B8W2HD", SECRET);
    const masked = maskCustomerKey("QJXZR4PNK5B8W2HD", fingerprint);
    expect(masked).toBe(`…W2HD #${fingerprint.slice(0, 6)}`);
    expect(maskCustomerKey("QJXZR4PNK5B8W2HD", fingerprint.slice(0, 6) as never)).toBe(masked);
    expect(masked).toMatch(MASKED_KEY_PATTERN);
  });

  it("reveals only the last 4 characters: the rest is the keyed fingerprint, which changes with the secret", () => {
    fc.assert(
      fc.property(customerKey, (key) => {
        const masked = maskCustomerKey(key, fingerprintCustomerKey(key, SECRET));
        const [shown, fingerprintPart] = masked.split(" #");
        expect(shown).toBe(`…${key.slice(-4)}`);
        expect(fingerprintPart).toMatch(/^[0-9a-f]{6}$/);
        // Issue 15's scan: no run of 8 characters of the key in anything shown.
        for (let start = 0; start + 8 <= key.length; start++)
          expect(masked.includes(key.slice(start, start + 8))).toBe(false);
      }),
    );
    const key = "QJXZR4PNK5B8W2HD";
    expect(maskCustomerKey(key, fingerprintCustomerKey(key, SECRET))).not.toBe(
      maskCustomerKey(key, fingerprintCustomerKey(key, OTHER_SECRET)),
    );
  });

  it("tells apart two keys sharing their last 4 characters", () => {
    const a = "AAAAAAAAAAAAW2HD";
    const b = "BBBBBBBBBBBBW2HD";
    expect(maskCustomerKey(a, fingerprintCustomerKey(a, SECRET))).not.toBe(
      maskCustomerKey(b, fingerprintCustomerKey(b, SECRET)),
    );
  });

  it("shows no character of a key shorter than 12", () => {
    const key = "SHORTKEY9";
    expect(maskCustomerKey(key, fingerprintCustomerKey(key, SECRET))).toMatch(/^… #[0-9a-f]{6}$/);
  });
});

describe("isMaskedKey", () => {
  it("accepts the masked shape only: not a key, not the old `QJXZ…W2HD` form", () => {
    const key = "QJXZR4PNK5B8W2HD";
    expect(isMaskedKey(maskCustomerKey(key, fingerprintCustomerKey(key, SECRET)))).toBe(true);
    expect(isMaskedKey(key)).toBe(false);
    expect(isMaskedKey("QJXZ…W2HD")).toBe(false);
    expect(isMaskedKey("…W2HD #3F9A1C")).toBe(false);
  });
});

describe("currentMaskedKey (stored masks read, and migrated, in the shown form)", () => {
  const fingerprint = fingerprintCustomerKey("QJXZR4PNK5B8W2HD", SECRET);

  it("keeps the new form as it is", () => {
    const masked = maskCustomerKey("QJXZR4PNK5B8W2HD", fingerprint);
    expect(currentMaskedKey(masked, undefined)).toBe(masked);
  });

  it("rewrites the old form from its last 4 and the key's fingerprint, without the key", () => {
    expect(isLegacyMaskedKey("QJXZ…W2HD")).toBe(true);
    expect(currentMaskedKey("QJXZ…W2HD", fingerprint)).toBe(maskCustomerKey("QJXZR4PNK5B8W2HD", fingerprint));
    expect(currentMaskedKey("…", fingerprint)).toBe(`… #${fingerprint.slice(0, 6)}`);
  });

  it("shows the last 4 only when no fingerprint is known, and nothing for anything else", () => {
    expect(currentMaskedKey("QJXZ…W2HD", undefined)).toBe("…W2HD");
    expect(currentMaskedKey("QJXZR4PNK5B8W2HD", fingerprint)).toBeUndefined();
    expect(currentMaskedKey(undefined, fingerprint)).toBeUndefined();
  });
});
