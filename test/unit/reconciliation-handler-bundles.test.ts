// Each reconciliation Lambda bundled as HandlerFunction bundles it: loads as an ESM file, stays small, and carries
// the portal client and Secrets Manager only where it calls the portal, the Step Functions client only where it
// describes executions.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";

const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
const dir = mkdtempSync(join(tmpdir(), "reconciliation-bundles-"));
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

describe("reconciliation handler bundles", () => {
  it.each([
    ["functions/reconciliation-start.ts", false, false],
    ["functions/reconciliation-list-keys.ts", true, false],
    ["functions/reconciliation-check-practices.ts", false, true],
    ["functions/reconciliation-classify-candidates.ts", false, false],
    ["functions/reconciliation-repair.ts", true, true],
    ["functions/reconciliation-finish.ts", false, false],
  ])(
    "%s loads as an ESM file under 600 kB (portal client: %s, Step Functions client: %s)",
    async (entry, portal, sfn) => {
      const { code, kept } = await bundle(entry);
      expect(code.byteLength).toBeLessThan(600_000);
      expect(kept.filter((path) => path.includes("zod/v4/locales/"))).toEqual([]);
      expect(kept.some((path) => path.endsWith("functions/shared/portal-client.ts"))).toBe(portal);
      expect(kept.some((path) => path.includes("client-secrets-manager"))).toBe(portal);
      expect(kept.some((path) => path.includes("client-sfn"))).toBe(sfn);
      const file = join(dir, `${entry.replace(/\W/g, "_")}.mjs`);
      writeFileSync(file, code);
      const module = (await import(pathToFileURL(file).href)) as { handler?: unknown };
      expect(typeof module.handler).toBe("function");
    },
  );
});
