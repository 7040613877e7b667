// How an operator names a lost-POST candidate (docs/ops-cli.md "Lost-POST candidates"): the masked form
// `…W2HD #3f9a1c` (or three dots), or its fingerprint `#3f9a1c`; never a full key, never the old `QJXZ…W2HD` form.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../ops/errors.js";
import { namesMaskedKey, parseMaskedKey } from "../../../ops/masked-key-argument.js";

const usageError = (value: string) => {
  try {
    parseMaskedKey(value);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${value} was accepted`);
};

describe("parseMaskedKey", () => {
  it("takes the masked form with an ellipsis or three dots, and the fingerprint alone", () => {
    expect(parseMaskedKey("…W2HD #3f9a1c")).toEqual({
      fingerprint: "3f9a1c",
      tail: "W2HD",
      shown: "…W2HD #3f9a1c",
    });
    expect(parseMaskedKey(" ...W2HD #3f9a1c ")).toEqual(parseMaskedKey("…W2HD #3f9a1c"));
    expect(parseMaskedKey("#3f9a1c")).toEqual({ fingerprint: "3f9a1c", shown: "#3f9a1c" });
    expect(parseMaskedKey("… #3f9a1c")).toEqual({ fingerprint: "3f9a1c", tail: "", shown: "… #3f9a1c" });
  });

  it("refuses a full key without echoing it", () => {
    const message = usageError("QJXZR4PNK5B8W2HD");
    expect(message).toContain("never put a key on the command line");
    expect(message).not.toContain("QJXZR4PNK5B8W2HD");
  });

  it("refuses the old form, which showed 8 characters of the key, naming the new one", () => {
    const message = usageError("QJXZ…W2HD");
    expect(message).toContain("old form");
    expect(message).toContain("…W2HD #3f9a1c");
    expect(message).not.toContain("QJXZ");
    expect(usageError("QJXZ...W2HD")).toContain("old form");
  });

  it("refuses anything else: an upper-case fingerprint, a short one, a bare tail", () => {
    for (const value of ["…W2HD #3F9A1C", "#3f9a1", "…W2HD", "3f9a1c", "ABCD-WXYZ"])
      expect(usageError(value)).toContain("<maskedKey> must be the masked form");
  });
});

describe("namesMaskedKey", () => {
  it("matches on the fingerprint, and on the last 4 when they were given", () => {
    expect(namesMaskedKey(parseMaskedKey("#3f9a1c"), "…W2HD #3f9a1c")).toBe(true);
    expect(namesMaskedKey(parseMaskedKey("…W2HD #3f9a1c"), "…W2HD #3f9a1c")).toBe(true);
    expect(namesMaskedKey(parseMaskedKey("…AAAA #3f9a1c"), "…W2HD #3f9a1c")).toBe(false);
    expect(namesMaskedKey(parseMaskedKey("#3f9a1d"), "…W2HD #3f9a1c")).toBe(false);
  });
});
