import { describe, expect, it } from "vitest";
import { maskSecret, redactCustomerKeys, redactSecrets } from "../../../functions/platform/mask.js";

describe("maskSecret", () => {
  it("keeps the first and last four characters of a CustomerKey", () => {
    expect(maskSecret("QJXZR4PNK5B8W2HD")).toBe("QJXZ…W2HD");
  });

  it("hides short values entirely", () => {
    expect(maskSecret("abc123")).toBe("…");
    expect(maskSecret("")).toBe("");
    expect(maskSecret(undefined)).toBe("");
  });
});

describe("redactSecrets", () => {
  it("replaces every occurrence of each secret with its masked form", () => {
    const text = "key QJXZR4PNK5B8W2HD and dev devkey-0123456789 then QJXZR4PNK5B8W2HD";
    expect(redactSecrets(text, ["QJXZR4PNK5B8W2HD", "devkey-0123456789"])).toBe(
      "key QJXZ…W2HD and dev devk…6789 then QJXZ…W2HD",
    );
  });
});

describe("redactCustomerKeys", () => {
  it("masks anything shaped like a CustomerKey and leaves other words alone", () => {
    expect(redactCustomerKeys("created 565ATSAH4SZDUTTK for practice p-1")).toBe(
      "created 565A…UTTK for practice p-1",
    );
  });

  it("masks a key glued to an underscore or a lower-case letter, where there is no word boundary", () => {
    expect(redactCustomerKeys("key_565ATSAH4SZDUTTK and id565ATSAH4SZDUTTKx")).toBe(
      "key_565A…UTTK and id565A…UTTKx",
    );
  });

  it("leaves longer runs of capitals and digits alone: a basic ISO time in an execution name is not a key", () => {
    expect(redactCustomerKeys("ops-p1-20250611T101502123Z ABCDEFGHIJKLMNOPQ")).toBe(
      "ops-p1-20250611T101502123Z ABCDEFGHIJKLMNOPQ",
    );
  });
});
