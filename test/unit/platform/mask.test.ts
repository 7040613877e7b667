import { describe, expect, it } from "vitest";
import {
  maskKeyTail,
  maskSecret,
  redactCustomerKeys,
  redactSecrets,
} from "../../../functions/platform/mask.js";

describe("maskSecret (portal credentials and webhook secrets, never a CustomerKey)", () => {
  it("keeps the first and last four characters of a credential", () => {
    expect(maskSecret("devkey-0123456789")).toBe("devk…6789");
  });

  it("hides short values entirely", () => {
    expect(maskSecret("abc123")).toBe("…");
    expect(maskSecret("")).toBe("");
    expect(maskSecret(undefined)).toBe("");
  });
});

describe("redactSecrets", () => {
  it("replaces every occurrence of each secret with its masked form", () => {
    const text = "dev devkey-0123456789 portal portalkey-abcdefgh then devkey-0123456789";
    expect(redactSecrets(text, ["devkey-0123456789", "portalkey-abcdefgh"])).toBe(
      "dev devk…6789 portal port…efgh then devk…6789",
    );
  });
});

describe("maskKeyTail (a CustomerKey whose fingerprint is not at hand)", () => {
  it("shows the last four characters only", () => {
    expect(maskKeyTail("QJXZR4PNK5B8W2HD")).toBe("…W2HD");
  });

  it("shows nothing of a short key", () => {
    expect(maskKeyTail("QJXZR4PNK5B")).toBe("…");
  });
});

describe("redactCustomerKeys", () => {
  it("masks anything shaped like a CustomerKey to its last four and leaves other words alone", () => {
    expect(redactCustomerKeys("created 565ATSAH4SZDUTTK for practice p-1")).toBe(
      "created …UTTK for practice p-1",
    );
  });

  it("masks a key glued to an underscore or a lower-case letter, where there is no word boundary", () => {
    expect(redactCustomerKeys("key_565ATSAH4SZDUTTK and id565ATSAH4SZDUTTKx")).toBe("key_…UTTK and id…UTTKx");
  });

  it("leaves longer runs of capitals and digits alone: a basic ISO time in an execution name is not a key", () => {
    expect(redactCustomerKeys("ops-p1-20250611T101502123Z ABCDEFGHIJKLMNOPQ")).toBe(
      "ops-p1-20250611T101502123Z ABCDEFGHIJKLMNOPQ",
    );
  });
});
