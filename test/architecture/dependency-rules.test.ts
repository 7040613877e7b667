// The import rules of docs/architecture.md §5 hold for the code, and each one fails on a forbidden import
// (a fixture tree laid out like the project, cruised with the project's own configuration).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { cruise, type IConfiguration, type ICruiseResult } from "dependency-cruiser";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const projectRoot = path.resolve(import.meta.dirname, "../..");
const config = require(path.join(projectRoot, ".dependency-cruiser.cjs")) as IConfiguration;

async function violations(baseDir: string, roots: string[]): Promise<string[]> {
  const result = await cruise(roots, {
    validate: true,
    ruleSet: { forbidden: config.forbidden },
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    baseDir,
  });
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

/** Writes `files` (path → source) under a fresh directory and returns it. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "dep-rules-"));
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  return dir;
}

describe("import rules", () => {
  it("hold for the project", async () => {
    const roots = ["contracts", "functions", "lib", "local", "ops", "bin", "bench"];
    expect(await violations(projectRoot, roots)).toEqual([]);
  }, 120_000);

  it.each([
    ["lib-not-runtime", { "lib/stack.ts": 'import "../functions/platform/errors.ts";' }],
    ["functions-not-up", { "functions/platform/errors.ts": 'import "../../lib/stack.ts";' }],
    ["contracts-import-nothing", { "contracts/names.ts": 'import "../functions/platform/errors.ts";' }],
    ["platform-is-the-floor", { "functions/platform/config.ts": 'import "../portal/portal-client.ts";' }],
    [
      "portal-knows-no-workflow",
      { "functions/portal/portal-client.ts": 'import "../practice/practice-store.ts";' },
    ],
    [
      "practice-knows-no-workflow",
      { "functions/practice/practice-store.ts": 'import "../onboarding/onboarding-steps.ts";' },
    ],
    [
      "domain-events-know-no-workflow",
      { "functions/domain-events/domain-events.ts": 'import "../webhook/crm-webhook.ts";' },
    ],
    [
      "workflows-stay-apart",
      { "functions/offboarding/offboarding-steps.ts": 'import "../onboarding/onboarding-steps.ts";' },
    ],
    [
      "claim-release-compensation-only",
      { "functions/claim-release/release-claim.ts": 'import "../onboarding/onboarding-runtime.ts";' },
    ],
    ["one-table-writer", { "functions/onboarding/onboarding-steps.ts": 'import "@aws-sdk/lib-dynamodb";' }],
    [
      "no-circular",
      {
        "functions/reconciliation/a.ts": 'import "./b.ts";',
        "functions/reconciliation/b.ts": 'import "./a.ts";',
      },
    ],
  ])("%s fails on a forbidden import", async (rule, files) => {
    const all: Record<string, string> = { ...files };
    // Every import target exists, so the rule (not a missing file) is what fires.
    for (const [file, source] of Object.entries(files)) {
      const target = /import "(\.[^"]+)"/.exec(source)?.[1];
      if (target) {
        const resolved = path.posix.join(path.posix.dirname(file), target);
        all[resolved] ??= "export {};";
      }
    }
    const dir = fixture(all);
    const found = await violations(dir, Object.keys(all));
    expect(found.some((line) => line.startsWith(`${rule}:`))).toBe(true);
  });

  it("allows what the layers permit", async () => {
    const dir = fixture({
      "contracts/names.ts": "export const A = 1;",
      "lib/stack.ts": 'import "../contracts/names.ts";',
      "functions/platform/errors.ts": 'import "../../contracts/names.ts";',
      "functions/portal/portal-client.ts": 'import "../platform/errors.ts";',
      "functions/practice/practice-store.ts": 'import "../portal/portal-client.ts";',
      "functions/onboarding/onboarding-steps.ts": 'import "../practice/practice-store.ts";',
      "functions/offboarding/offboarding-steps.ts": "export {};",
      "functions/claim-release/claim-release.ts":
        'import "../onboarding/onboarding-steps.ts"; import "../offboarding/offboarding-steps.ts";',
    });
    expect(await violations(dir, ["contracts", "lib", "functions"])).toEqual([]);
  });
});
