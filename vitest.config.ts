import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

// Every console line of a run (the functions' logs above all) goes to one file per run; the terminal shows
// them only for a failing test (`silent: "passed-only"`), so a failure is easy to find.
const runStamp = new Date().toISOString().replace(/[:.]/g, "-");
const logFile = path.join(import.meta.dirname, "test-output", `console-${runStamp}.log`);
mkdirSync(path.dirname(logFile), { recursive: true });

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    globalSetup: ["test/support/global-setup.ts"],
    silent: "passed-only",
    onConsoleLog(log, type, entity) {
      const file = entity ? (entity.type === "module" ? entity.moduleId : entity.module.moduleId) : "";
      const name = entity && entity.type !== "module" ? ` › ${entity.fullName}` : "";
      appendFileSync(
        logFile,
        `[${type}] ${path.relative(import.meta.dirname, file)}${name}: ${log.trimEnd()}\n`,
      );
    },
    env: {
      // CDK apps built by tests skip esbuild (the template is what they assert); a test that needs the real
      // bundle asks for it with `postCliContext: { "aws:cdk:bundling-stacks": ["**"] }`.
      CDK_CONTEXT_JSON: JSON.stringify({ "aws:cdk:bundling-stacks": [] }),
    },
  },
});
