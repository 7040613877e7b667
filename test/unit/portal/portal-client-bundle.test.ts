// The portal client ships in every portal-calling Lambda; its bundle size is part of their cold start (docs/architecture.md §8).
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("portal client bundle", () => {
  it("stays small: zod/mini without its locales", async () => {
    const result = await build({
      entryPoints: [new URL("../../../functions/portal/portal-client.ts", import.meta.url).pathname],
      bundle: true,
      platform: "node",
      format: "esm",
      minify: true,
      mainFields: ["module", "main"],
      write: false,
      metafile: true,
    });
    const [output] = Object.values(result.metafile.outputs);
    const kept = Object.entries(output!.inputs).filter(([, input]) => input.bytesInOutput > 0);
    expect(kept.map(([path]) => path).filter((path) => path.includes("zod/v4/locales/"))).toEqual([]);
    expect(result.outputFiles[0]!.contents.byteLength).toBeLessThan(40_000);
  });
});
