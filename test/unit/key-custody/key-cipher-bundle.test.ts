// What key custody costs a handler, bundled exactly as HandlerFunction deploys it (docs/architecture.md §8): the
// KMS client and key-cipher.ts over a handler that already carries SDK clients. The budget is 350 KB a handler,
// and the decrypting handlers (label, compensation, offboarding, repair) were 336–415 KB before it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltBundle, buildBundle } from "../../../bench/lambda-bundles.js";

/** Measured: 31.4 KB minified, 6.1 KB gzip; KMS's error classes and schemas are most of it. */
const MAX_CIPHER_BYTES = 35_000;

const outDir = mkdtempSync(path.join(tmpdir(), "key-cipher-bundle-"));
let without: BuiltBundle;
let withCipher: BuiltBundle;

beforeAll(async () => {
  [without, withCipher] = await Promise.all([
    buildBundle("test/unit/key-custody/bundle-probe-without-cipher.ts", "ours", { outDir }),
    buildBundle("test/unit/key-custody/bundle-probe-with-cipher.ts", "ours", { outDir }),
  ]);
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("key cipher bundle cost", () => {
  it(`adds at most ${MAX_CIPHER_BYTES} bytes minified to a handler that has SDK clients`, () => {
    const added = withCipher.bytes - without.bytes;
    console.info(
      `key cipher adds ${added} bytes minified, ${withCipher.gzipBytes - without.gzipBytes} gzip ` +
        `(${without.bytes} → ${withCipher.bytes})`,
    );
    expect(added).toBeLessThanOrEqual(MAX_CIPHER_BYTES);
  });

  it("carries the KMS client and not the AWS Encryption SDK", () => {
    expect(withCipher.inputs.some((input) => input.includes("@aws-sdk/client-kms/"))).toBe(true);
    expect(withCipher.inputs.filter((input) => input.includes("@aws-crypto/"))).toEqual([]);
  });

  it("loads as an ES module with nothing left to resolve at load", async () => {
    expect(withCipher.loadTimeExternals).toEqual([]);
    const module = (await import(pathToFileURL(withCipher.file).href)) as { handler?: unknown };
    expect(typeof module.handler).toBe("function");
  });
});
