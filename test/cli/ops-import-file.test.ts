// `ops import --file <csv>` with the files operators really hand it: Excel's encodings, empty exports, a folder,
// a huge file, labels the rest of the system would refuse, a row whose practice id swallowed the key. The rule
// (docs/ops-cli.md): a bad file is one error line with exit 2 before anything is contacted; a bad row rejects the
// whole file naming its line (exit 1); nothing is written either way, and a CustomerKey is never shown in full.

import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PracticeStore } from "../../functions/practice/practice-store.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, startLocalStack } from "../../local/local-stack.js";
import { type SimulatorControl, simulatorControl } from "../../local/portal-simulator-control.js";
import { type OpsRun, runOpsCli } from "../support/ops-cli.js";
import { localStackPracticeStore } from "../support/test-practice-store.js";

const USAGE_HINT = "(run with --help for usage)";
const KEY_ADMINISTRATOR = ["--local-role", "key-administrator"];

let stack: LocalStack;
let stateDir: string;
let files: string;
let store: PracticeStore;
let simulator: SimulatorControl;
/** An enabled, unlabeled portal key nobody has imported: every row below names it. */
let key: string;
const outputs: OpsRun[] = [];

async function ops(...args: string[]): Promise<OpsRun> {
  const run = await runOpsCli(["--local", ...KEY_ADMINISTRATOR, ...args], {
    PRACTICE_ONBOARDING_STATE_DIR: stateDir,
    PORTAL_MAX_RPS: "20",
  });
  outputs.push(run);
  return run;
}

function file(name: string, content: string | Buffer): string {
  const at = path.join(files, name);
  writeFileSync(at, content);
  return at;
}

/** Runs `import --file <at>` and checks the portal was not called and nothing was written. */
async function importChangingNothing(at: string, ...args: string[]): Promise<OpsRun> {
  const callsBefore = (await simulator.calls()).length;
  const run = await ops("import", "--file", at, ...args);
  expect(await store.getPractice("imp-1")).toBeUndefined();
  expect(await store.getKeyOwner(await store.fingerprint(key))).toBeUndefined();
  return Object.assign(run, { portalCalls: (await simulator.calls()).length - callsBefore });
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ops-import-file-"));
  files = path.join(stateDir, "files");
  mkdirSync(files);
  const port = await findFreePort();
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(port), PORTAL_MAX_RPS: "20" }),
    stateDir,
    retryIntervalOverrides: 0,
  });
  store = localStackPracticeStore(stack.endpoints, stateDir);
  simulator = simulatorControl(stack.endpoints.simulatorOrigin!);
  const [added] = await simulator.addKeys([{ DevRefId: "", KeyStatus: "Enabled" }]);
  key = added!.CustomerKey;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("ops import --file: a file that cannot be a CSV of rows is a usage error, nothing contacted", () => {
  it("refuses a directory: exit 2, one line", async () => {
    const run = await importChangingNothing(files);
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `error: --file ${files} is a directory, not a CSV file\n${USAGE_HINT}\n`,
      portalCalls: 0,
    });
  });

  it("refuses a file saved in Windows-1252 (Excel's CSV): a label would be stored with its accents replaced", async () => {
    const at = file("latin1.csv", Buffer.from(`imp-1,${key},Caf\xe9 Dental\n`, "latin1"));
    const run = await importChangingNothing(at);
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `error: --file ${at} is not UTF-8 text: save it as CSV UTF-8 (Excel: Save As, "CSV UTF-8")\n${USAGE_HINT}\n`,
      portalCalls: 0,
    });
  });

  it("refuses a UTF-16 file (Excel's Unicode text) with the same one line, not a row error per line", async () => {
    const at = file("utf16.csv", Buffer.from(`\uFEFFpracticeId,customerKey\r\nimp-1,${key}\r\n`, "utf16le"));
    const run = await importChangingNothing(at);
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `error: --file ${at} is not UTF-8 text: save it as CSV UTF-8 (Excel: Save As, "CSV UTF-8")\n${USAGE_HINT}\n`,
      portalCalls: 0,
    });
  });

  it.each([
    ["empty.csv", ""],
    ["blank.csv", "\uFEFF\r\n  \r\n\r\n"],
    ["header-only.csv", "practiceId,customerKey\r\n\r\n"],
  ])(
    "refuses %s, which has no rows, instead of reporting a successful import of nothing",
    async (name, content) => {
      const at = file(name, content);
      const run = await importChangingNothing(at);
      expect(run).toMatchObject({
        code: 2,
        stdout: "",
        stderr: `error: --file ${at} has no rows (practiceId,customerKey[,devRefId])\n${USAGE_HINT}\n`,
        portalCalls: 0,
      });
    },
  );

  it("refuses a file too large to be a list of practices without reading it", async () => {
    const at = file("huge.csv", "");
    truncateSync(at, 64 * 1024 * 1024);
    const run = await importChangingNothing(at);
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: `error: --file ${at} is 64.0 MiB; a CSV of practices is at most 10 MiB\n${USAGE_HINT}\n`,
      portalCalls: 0,
    });
  });
});

describe("ops import --file: bad rows reject the whole file, naming the line", () => {
  it("refuses a devRefId the portal label may not have (a control character), writing nothing", async () => {
    const at = file("tab.csv", `practiceId,customerKey,devRefId\nimp-1,${key},"Smith\tDental"\n`);
    const run = await importChangingNothing(at);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "1 bad row(s); nothing was imported:\n  line 2: devRefId must not contain control characters (newline, tab, NUL, …)",
    );
  });

  it("refuses a devRefId longer than a portal label, writing nothing", async () => {
    const at = file("long.csv", `imp-1,${key},${"x".repeat(300)}\n`);
    const run = await importChangingNothing(at);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("  line 1: devRefId must be at most 255 characters, got 300");
  });

  it("refuses a row whose quote is never closed instead of importing what follows it", async () => {
    const at = file("unterminated.csv", `imp-1,"${key}\n`);
    const run = await importChangingNothing(at);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("  line 1: a quoted field is not closed (a quote missing at its end)");
  });

  it("never echoes a key that landed in the practice id column (a tab-separated export)", async () => {
    const at = file("tabbed.csv", `imp-1\t${key}\tSmith, Jones Dental\n`);
    const run = await importChangingNothing(at);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`  line 1: practiceId must be 1-64 characters of`);
    expect(run.stdout).toContain(`…${key.slice(-4)}`);
    expect(run.stdout).not.toContain(key);
  });
});

describe("ops arguments", () => {
  it("never echoes a key pasted into a practice id argument", async () => {
    const run = await ops("status", `imp-1 ${key}`);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("practiceId must be 1-64 characters of");
    expect(run.stderr).not.toContain(key);
  });
});

describe("ops import --file output", () => {
  it("never contains the key in full", () => {
    expect(outputs.length).toBeGreaterThan(1);
    for (const run of outputs) expect(`${run.stdout}${run.stderr}`).not.toContain(key);
  });
});
