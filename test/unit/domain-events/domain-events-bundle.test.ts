// The publisher ships in every workflow Lambda that emits an event: keep zod's locales out of it (docs/architecture.md §8).
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("domain events bundle", () => {
  it("carries zod/mini without its locales, and the EventBridge client without the whole SDK", async () => {
    const result = await build({
      entryPoints: [new URL("../../../functions/domain-events/domain-events.ts", import.meta.url).pathname],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      minify: true,
      mainFields: ["module", "main"],
      write: false,
      metafile: true,
    });
    const [output] = Object.values(result.metafile.outputs);
    const kept = Object.entries(output!.inputs).filter(([, input]) => input.bytesInOutput > 0);
    expect(kept.map(([path]) => path).filter((path) => path.includes("zod/v4/locales/"))).toEqual([]);
    // Measured 377 KB: SDK core and the EventBridge client ~300 KB, Powertools 30 KB, zod/mini 29 KB.
    expect(result.outputFiles[0]!.contents.byteLength).toBeLessThan(420_000);
  });
});
