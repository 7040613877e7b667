// Every command a user runs through npm (`npm start`, `npm run ops`, `npm run demo`…) answers `--help` with its
// usage and exits 0 without starting anything, and refuses an unknown option with exit 2 and one clear line —
// never a stack trace. The commands are read from package.json, so a new one is held to this too.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/handler-function.js";

const scripts = (
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;
/** Scripts that run one of our TypeScript entry points (the rest are vitest, biome, tsc, cdk…). */
const commands = Object.entries(scripts)
  .filter(([, command]) => /^(exec )?(tsx|node --import tsx) (bin|bench)\//.test(command))
  .map(([name]) => name);

async function npmRun(script: string, args: readonly string[]) {
  const child = spawn("npm", ["run", "-s", script, "--", ...args], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a command that ignored --help is stopped with everything it started.
    detached: true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A command that ignores --help starts its work: it is stopped, and the test fails on its exit code.
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 20_000);
  const [code, signal] = await once(child, "exit");
  clearTimeout(timer);
  return { code: (code ?? signal) as number | string, stdout, stderr };
}

describe("every npm command", () => {
  it("is found in package.json", () => {
    expect(commands).toEqual(
      expect.arrayContaining([
        "start",
        "ops",
        "webhook",
        "simulator",
        "demo",
        "chaos",
        "bench",
        "bench:bundles",
      ]),
    );
  });

  describe.each(commands)("npm run %s", (script) => {
    it("prints its usage for --help and exits 0 without starting anything", async () => {
      const run = await npmRun(script, ["--help"]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^Usage: /m);
      expect(run.stdout).not.toMatch(/Starting DynamoDB Local/);
    });

    it("refuses an unknown option with exit 2 and one clear line, no stack trace", async () => {
      const run = await npmRun(script, ["--no-such-option"]);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toMatch(/unknown option '--no-such-option'/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stdout).not.toMatch(/Starting DynamoDB Local/);
    });
  });
});
