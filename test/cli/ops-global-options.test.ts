// Options and variables the ops CLI reads for every command: a bad one is exit 2 and one line before any stack is
// looked for (here: none runs, so a command that went on would say "No local stack is running", exit 1), and a
// local stack's endpoints.json that cannot be read is named.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOpsCli } from "../support/ops-cli.js";

const USAGE_HINT = "(run with --help for usage)";
let stateDir: string;

beforeAll(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ops-global-options-"));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const ops = (args: readonly string[], env: Record<string, string> = {}) =>
  runOpsCli(args, { PRACTICE_ONBOARDING_STATE_DIR: stateDir, AWS_REGION: "us-east-1", ...env });

describe("ops global options and variables", () => {
  it.each([
    ["abc", 'error: environment variable PORTAL_MAX_RPS must be a positive number, got "abc"'],
    ["0", 'error: environment variable PORTAL_MAX_RPS must be a positive number, got "0"'],
    ["-5", 'error: environment variable PORTAL_MAX_RPS must be a positive number, got "-5"'],
  ])(
    "refuses PORTAL_MAX_RPS=%s (the portal budget it shares with the workflows): exit 2, one line",
    async (value, message) => {
      const run = await ops(["--local", "list"], { PORTAL_MAX_RPS: value });
      expect(run).toEqual({ code: 2, stdout: "", stderr: `${message}\n${USAGE_HINT}\n` });
    },
  );

  it("refuses --stack or --region beside --local, which would act on another stack than the one named", async () => {
    const run = await ops(["--local", "--stack", "PracticeOnboardingProd", "list"]);
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: --stack and --region name a deployed stack; --local acts on the local one: give one or the other\n${USAGE_HINT}\n`,
    });
    const withRegion = await ops(["list", "--local", "--region", "eu-west-1"]);
    expect(withRegion.code).toBe(2);
  });

  it("refuses --local-role without --local (on AWS, the caller's own credentials decide)", async () => {
    const run = await ops(["--local-role", "key-administrator", "list"]);
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: --local-role applies with --local only (on AWS, your credentials decide what you may do)\n${USAGE_HINT}\n`,
    });
  });

  it.each([
    ["candidates"],
    ["adopt-key", "#3f9a1c", "--practice", "p-1"],
    ["release-key", "#3f9a1c", "--reason", "lab"],
  ])("refuses an empty --run for %s instead of reading the latest run", async (...command) => {
    const run = await ops(["--local", ...command, "--run", ""]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: .*--run.* must not be empty/);
  });

  it("names the local stack's endpoints.json when it cannot be read, exit 1", async () => {
    const broken = mkdtempSync(path.join(tmpdir(), "ops-broken-endpoints-"));
    try {
      writeFileSync(path.join(broken, "endpoints.json"), "{ half a file");
      const run = await runOpsCli(["--local", "list"], { PRACTICE_ONBOARDING_STATE_DIR: broken });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `error: ${path.join(broken, "endpoints.json")} is not a local stack's endpoints.json (it does not parse as JSON): start one with \`npm start\`, which replaces it\n`,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
