// Each offboarding Lambda is bundled as HandlerFunction bundles it (DESIGN §8); the bundle must load as an ESM
// file and stay small, since its size is most of the cold start.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";

const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
const dir = mkdtempSync(join(tmpdir(), "offboarding-bundles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(entry: string) {
  const result = await build({
    entryPoints: [new URL(`../../${entry}`, import.meta.url).pathname],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    mainFields: ["module", "main"],
    banner: { js: BANNER },
    write: false,
    metafile: true,
  });
  const [output] = Object.values(result.metafile.outputs);
  const kept = Object.keys(output!.inputs).filter((path) => output!.inputs[path]!.bytesInOutput > 0);
  return { code: result.outputFiles[0]!.contents, kept };
}

describe("offboarding handler bundles", () => {
  it.each([
    ["functions/offboarding-claim.ts", 460_000, false],
    ["functions/offboarding-record.ts", 460_000, false],
    ["functions/offboarding-compensate.ts", 460_000, false],
    ["functions/offboarding-disable-key.ts", 500_000, true],
  ])(
    "%s loads as an ESM file, under %d bytes, with the portal client only if it calls the portal",
    async (entry, limit, portal) => {
      const { code, kept } = await bundle(entry);
      expect(code.byteLength).toBeLessThan(limit);
      expect(kept.filter((path) => path.includes("zod/v4/locales/"))).toEqual([]);
      expect(kept.some((path) => path.endsWith("functions/shared/portal-client.ts"))).toBe(portal);
      expect(kept.some((path) => path.includes("client-secrets-manager"))).toBe(portal);
      const file = join(dir, `${entry.replace(/\W/g, "_")}.mjs`);
      writeFileSync(file, code);
      const module = (await import(pathToFileURL(file).href)) as { handler?: unknown };
      expect(typeof module.handler).toBe("function");
    },
  );
});
