// The ops CLI end to end: the real binary against a real local stack started in this process.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PracticeStore } from "../../functions/practice/practice-store.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import { type FakeCloudFormation, startFakeCloudFormation } from "../support/fake-cloudformation.js";
import { type OpsRun, runOpsCli, startOpsCli } from "../support/ops-cli.js";
import { activePractice, HOURS_AGO, onboardingWithKey } from "../support/reconciliation-drift.js";
import { localStackMask } from "../support/test-key-custody.js";
import { localStackPracticeStore } from "../support/test-practice-store.js";

const USAGE_HINT = "(run with --help for usage)";
const ME = `ops:${userInfo().username}`;

let stack: LocalStack;
let stateDir: string;
/** A key as the local stack shows it (its fingerprint secret lives in the state dir). */
const mask = (customerKey: string) => localStackMask(stateDir)(customerKey);
let store: PracticeStore;
const outputs: OpsRun[] = [];

const localEnv = () => ({ PRACTICE_ONBOARDING_STATE_DIR: stateDir, PORTAL_MAX_RPS: "20" });

/** Runs `ops --local …` against the test's stack and keeps its output for the leak scan. */
async function ops(...args: string[]): Promise<OpsRun> {
  const run = await runOpsCli(["--local", ...args], localEnv());
  outputs.push(run);
  return run;
}

/**
 * `ops --local` signs as the operator (OperatorPolicy) unless told otherwise; import and status's live portal view
 * need the key administrator's policy as well (docs/ops-cli.md, Permissions).
 */
const KEY_ADMINISTRATOR = ["--local-role", "key-administrator"];

/** Without the leading --local, to prove global options work after the command. */
async function opsRaw(...args: string[]): Promise<OpsRun> {
  const run = await runOpsCli(args, { PRACTICE_ONBOARDING_STATE_DIR: stateDir, PORTAL_MAX_RPS: "20" });
  outputs.push(run);
  return run;
}

async function fullKeyOf(practiceId: string): Promise<string> {
  // The record holds the key encrypted (docs/architecture.md §4 invariant 13): opened with the local stack's KMS.
  const record = await store.getPractice(practiceId);
  if (!record?.customerKey) throw new Error(`${practiceId} has no key`);
  return store.revealCustomerKey(record);
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ops-cli-"));
  const port = await findFreePort();
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(port), PORTAL_MAX_RPS: "20" }),
    stateDir,
    retryIntervalOverrides: 0,
  });
  store = localStackPracticeStore(stack.endpoints, stateDir);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("ops onboard", () => {
  it("starts onboarding, follows it state by state and ends ACTIVE with exit 0 when --wait is given", async () => {
    const run = await ops("onboard", "cli-practice-1", "--dev-ref-id", "CLI Dental One", "--wait");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^Following ops-cli-practice-1-\d{8}T\d{9}Z:$/);
    expect(lines).toContainEqual(expect.stringMatching(/^\s+\+\d+\.\d{2} s {2}execution started$/));
    for (const state of ["ClaimPractice", "CreateKey", "LabelKeyAndRecordActive"]) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\s+\\+\\d+\\.\\d{2} s  → ${state}$`)));
    }
    expect(lines).toContainEqual(
      expect.stringMatching(/^\s+\+\d+\.\d{2} s {2}✓ CreateKey \(\d+(\.\d)? m?s\)$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^Onboarding of cli-practice-1 SUCCEEDED in /));
    expect(lines).toContain("  status  ACTIVE");
    expect(lines).toContain(`  key     ${mask(await fullKeyOf("cli-practice-1"))}`);
  });

  it("prints one JSON document with the execution and the practice when --json is given", async () => {
    const run = await ops("onboard", "cli-practice-2", "--wait", "--json");
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({
      command: "onboard",
      practiceId: "cli-practice-2",
      devRefId: "cli-practice-2",
      requestedBy: ME,
      result: { status: "SUCCEEDED" },
      practice: {
        practiceId: "cli-practice-2",
        status: "ACTIVE",
        maskedKey: mask(await fullKeyOf("cli-practice-2")),
      },
    });
    expect(document.executionName).toMatch(/^ops-cli-practice-2-\d{8}T\d{9}Z$/);
    expect(document.result.events.map((e: { kind: string }) => e.kind)).toContain("entered");
    expect(document.practice).not.toHaveProperty("customerKey");
    // Progress still reaches a person, on stderr, so stdout stays one document.
    expect(run.stderr).toContain("→ CreateKey");
  });

  it("exits 1 showing the error and cause when the execution fails", async () => {
    await fetch(`${stack.endpoints.simulatorOrigin}/_simulator/queue`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify([
        {
          kind: "status",
          method: "PUT",
          status: 400,
          body: JSON.stringify("DevRefId refused by the portal."),
        },
      ]),
    });
    const run = await ops("onboard", "cli-practice-refused", "--wait");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗ LabelKeyAndRecordActive failed \(attempt 1\): PortalRejected: .*DevRefId refused by the portal\./,
    );
    expect(run.stdout).toMatch(
      /Onboarding of cli-practice-refused FAILED in .*\n {2}error: PortalRejected: .*DevRefId refused by the portal\./,
    );
    expect(run.stdout).toContain("  status   FAILED");
  });
});

describe("ops status", () => {
  it("shows the record, the masked key, the live portal status and the audit trail", async () => {
    const fullKey = await fullKeyOf("cli-practice-1");
    const run = await ops(...KEY_ADMINISTRATOR, "status", "cli-practice-1");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "Practice cli-practice-1\n  status        ACTIVE\n  devRefId      CLI Dental One\n",
    );
    expect(run.stdout).toContain(
      `  key           ${mask(fullKey)}\n  key origin    created by its onboarding\n`,
    );
    expect(run.stdout).toContain(`  requested by  ${ME}\n`);
    expect(run.stdout).toMatch(
      /Last execution\n {2}name {6}ops-cli-practice-1-\d+T\d+Z\n {2}workflow {2}onboarding\n {2}status {4}SUCCEEDED\n/,
    );
    expect(run.stdout).toContain(
      `Portal (live)\n  key        ${mask(fullKey)}\n  status     Enabled\n  label      CLI Dental One\n`,
    );
    expect(run.stdout).toContain("  installed  not yet added in Open Dental\n");
    for (const action of ["ONBOARDING_STARTED", "KEY_CREATED", "KEY_LABELED", "ONBOARDING_COMPLETED"])
      expect(run.stdout).toMatch(new RegExp(`\\n  \\S+Z\\s+${action}\\s+${ME}`));
  });

  it("prints the same facts as JSON with --json given after the command", async () => {
    const run = await opsRaw("status", "cli-practice-1", "--json", "--local", ...KEY_ADMINISTRATOR);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.practice).toMatchObject({
      practiceId: "cli-practice-1",
      status: "ACTIVE",
      devRefId: "CLI Dental One",
    });
    expect(document.practice).not.toHaveProperty("customerKey");
    expect(document.portal).toEqual({
      found: true,
      key: {
        maskedKey: mask(await fullKeyOf("cli-practice-1")),
        keyStatus: "Enabled",
        devRefId: "CLI Dental One",
        dateCreated: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        dateDisabled: null,
        dateTimeAssigned: null,
      },
    });
    expect(document.lastExecution).toMatchObject({ workflow: "onboarding", status: "SUCCEEDED" });
    expect(document.audit.map((entry: { action: string }) => entry.action)).toEqual([
      "ONBOARDING_STARTED",
      "KEY_CREATED",
      "KEY_LABELED",
      "ONBOARDING_COMPLETED",
    ]);
  });

  it("as the operator: the record and one line saying what the live portal view needs, exit 0", async () => {
    const run = await ops("status", "cli-practice-1");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Practice cli-practice-1\n  status        ACTIVE\n");
    expect(run.stdout).toContain(
      `Portal (live)\n  portal view unavailable: needs secretsmanager:GetSecretValue on ${stack.endpoints.outputs[STACK_OUTPUTS.portalSecret]} (KeyAdministratorPolicy)\n`,
    );
    const json = await ops("status", "cli-practice-1", "--json");
    expect(JSON.parse(json.stdout).portal).toEqual({
      unavailable: `needs secretsmanager:GetSecretValue on ${stack.endpoints.outputs[STACK_OUTPUTS.portalSecret]} (KeyAdministratorPolicy)`,
    });
  });

  it("exits 1 with one line when the practice is not recorded", async () => {
    const run = await ops("status", "cli-nobody");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^error: no practice cli-nobody is recorded in the local stack \(pid \d+\)\n$/,
    );
  });
});

describe("ops list", () => {
  it("lists every practice in an aligned table, keys masked", async () => {
    const run = await ops("list");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PRACTICE\s+STATUS\s+KEY\s+DEVREFID\s+UPDATED\s+FUNNEL\s+LAST EXECUTION$/);
    const one = lines.find((line) => line.startsWith("cli-practice-1 "));
    expect(one).toMatch(
      new RegExp(
        `^cli-practice-1\\s+ACTIVE\\s+${mask(await fullKeyOf("cli-practice-1"))}\\s+CLI Dental One\\s+`,
      ),
    );
    expect(lines.find((line) => line.startsWith("cli-practice-refused "))).toMatch(
      /^cli-practice-refused\s+FAILED\s/,
    );
    expect(lines.at(-1)).toMatch(/^\d+ practices$/);
  });

  it("filters by --status and answers JSON", async () => {
    const run = await ops("list", "--status", "FAILED", "--json");
    expect(run.code).toBe(0);
    const { practices } = JSON.parse(run.stdout);
    expect(practices.map((p: { practiceId: string }) => p.practiceId)).toEqual(["cli-practice-refused"]);
    expect(practices[0]).toMatchObject({
      status: "FAILED",
      failureReason: expect.stringContaining("DevRefId refused"),
    });
  });
});

describe("ops executions", () => {
  it("lists a practice's executions with their workflow, status and practice", async () => {
    const run = await ops("executions", "--practice", "cli-practice-1", "--json");
    expect(run.code).toBe(0);
    const { executions } = JSON.parse(run.stdout);
    expect(executions).toEqual([
      expect.objectContaining({
        workflow: "onboarding",
        status: "SUCCEEDED",
        practiceId: "cli-practice-1",
        name: expect.stringMatching(/^ops-cli-practice-1-/),
      }),
    ]);
  });

  it("lists the newest executions first in a table, failed ones with their error", async () => {
    const run = await ops("executions", "--limit", "2");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^STARTED\s+WORKFLOW\s+STATUS\s+DURATION\s+PRACTICE\s+EXECUTION\s+ERROR$/);
    expect(lines).toHaveLength(3);
    expect(
      lines.some((line) => /onboarding\s+FAILED\s+.*cli-practice-refused\s+\S+\s+PortalRejected$/.test(line)),
    ).toBe(true);
  });

  it("filters by --status", async () => {
    const run = await ops("executions", "--status", "FAILED", "--json");
    expect(run.code).toBe(0);
    const { executions } = JSON.parse(run.stdout);
    expect(executions.map((e: { practiceId: string; status: string }) => [e.practiceId, e.status])).toEqual([
      ["cli-practice-refused", "FAILED"],
    ]);
  });
});

describe("ops offboard", () => {
  it("disables the key and ends OFFBOARDED with exit 0 when --wait is given", async () => {
    const fullKey = await fullKeyOf("cli-practice-2");
    const run = await ops("offboard", "cli-practice-2", "--reason", "contract ended", "--wait");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^Following ops-cli-practice-2-\d{8}T\d{9}Z:$/);
    for (const state of ["DisableKey", "RecordOffboarded"])
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^\\s+\\+\\d+\\.\\d{2} s  ✓ ${state} \\(`)),
      );
    expect(lines).toContainEqual(expect.stringMatching(/^Offboarding of cli-practice-2 SUCCEEDED in /));
    expect(lines).toContain("  status  OFFBOARDED");
    expect(lines).toContain(`  key     ${mask(fullKey)}`);
  });

  it("shows the offboarding and the key disabled in the portal in status", async () => {
    const run = await ops(...KEY_ADMINISTRATOR, "status", "cli-practice-2");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  status        OFFBOARDED\n");
    expect(run.stdout).toContain(
      `Offboarding (latest)\n  reason         contract ended\n  requested by   ${ME}\n`,
    );
    expect(run.stdout).toContain("  status     DisabledByDeveloper\n");
  });

  it("exits 1 and starts nothing when the practice is not recorded", async () => {
    const run = await ops("offboard", "cli-nobody", "--reason", "never signed");
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: expect.stringMatching(
        /^error: no practice cli-nobody is recorded in the local stack \(pid \d+\): nothing to offboard, nothing started\n$/,
      ),
    });
  });
});

describe("ops reconcile and import", () => {
  let foreignKey: string;

  beforeAll(async () => {
    const response = await fetch(`${stack.endpoints.simulatorOrigin}/_simulator/keys`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ keys: [{ DevRefId: "cli-imported-1", KeyStatus: "Enabled" }] }),
    });
    const { keys } = (await response.json()) as { keys: { CustomerKey: string }[] };
    foreignKey = keys[0]!.CustomerKey;
  });

  it("follows a report-only run and prints its report, exit 0", async () => {
    const run = await ops("reconcile", "--wait");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^Following ops-reconcile-\d{8}T\d{9}Z:$/);
    for (const state of ["ListPortalKeys", "CheckPractices", "FinishRun"])
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^\\s+\\+\\d+\\.\\d{2} s  ✓ ${state} \\(`)),
      );
    expect(lines).toContainEqual(expect.stringMatching(/^Reconciliation SUCCEEDED in /));
    expect(lines).toContainEqual(
      expect.stringMatching(/^Reconciliation ops-reconcile-\d+T\d+Z: SUCCEEDED \(report only\)$/),
    );
    expect(run.stdout).toMatch(/\nUNMAPPED_KEY_FOREIGN \(1\)\n {2}- key …[A-Z0-9]{4} #[0-9a-f]{6}: /);
    expect(run.stdout).toContain(`key ${mask(foreignKey)}`);
  });

  it("shows the latest stored run as JSON with --show and no id", async () => {
    const run = await ops("reconcile", "--show", "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.summary).toMatchObject({
      status: "SUCCEEDED",
      repair: false,
      runId: expect.stringMatching(/^ops-reconcile-/),
    });
    expect(report.findings).toContainEqual(
      expect.objectContaining({ category: "UNMAPPED_KEY_FOREIGN", maskedKey: mask(foreignKey) }),
    );
  });

  it("exits 1 saying so when --show names no stored run", async () => {
    const run = await ops("reconcile", "--show", "no-such-run");
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: 'error: no reconciliation run "no-such-run" is stored (runs are kept 90 days)\n',
    });
  });

  it("as the operator: refused, exit 1 naming the permission and the policy that grants it, nothing written", async () => {
    const run = await ops("import", "--match", "devref");
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: ops import was refused: it needs secretsmanager:GetSecretValue on ${stack.endpoints.outputs[STACK_OUTPUTS.portalSecret]} (KeyAdministratorPolicy)\n`,
    });
    expect(await store.getPractice("cli-imported-1")).toBeUndefined();
  });

  it("reports what a dry-run import by DevRefId would adopt, writing nothing", async () => {
    const run = await ops(...KEY_ADMINISTRATOR, "import", "--match", "devref", "--dry-run");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Import by DevRefId (dry run: nothing written)\n");
    expect(run.stdout).toContain(`  + cli-imported-1: key ${mask(foreignKey)} (DevRefId "cli-imported-1")\n`);
    expect(await store.getPractice("cli-imported-1")).toBeUndefined();
  });

  it("exits 1 naming the bad CSV line and writes nothing", async () => {
    const csv = path.join(stateDir, "bad.csv");
    writeFileSync(csv, `practiceId,customerKey\ncli-imported-1,${foreignKey}\nbad/id,${foreignKey}\n`);
    const run = await ops(...KEY_ADMINISTRATOR, "import", "--file", csv);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/1 bad row\(s\); nothing was imported:\n {2}line 3: /);
    expect(await store.getPractice("cli-imported-1")).toBeUndefined();
  });

  it("refuses a CSV row whose key the portal labels for another practice unless --accept-label-mismatch", async () => {
    const csv = path.join(stateDir, "mismatch.csv");
    writeFileSync(csv, `\uFEFFpracticeId,customerKey\r\ncli-someone-else,${foreignKey}\r\n`);
    const refused = await ops(...KEY_ADMINISTRATOR, "import", "--file", csv, "--dry-run");
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `line 2: key ${mask(foreignKey)} is labeled "cli-imported-1" in the portal, not cli-someone-else (give --accept-label-mismatch to import it anyway)`,
    );
    const accepted = await ops(
      ...KEY_ADMINISTRATOR,
      "import",
      "--file",
      csv,
      "--dry-run",
      "--accept-label-mismatch",
    );
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain(`  + cli-someone-else: key ${mask(foreignKey)}`);
    expect(await store.getPractice("cli-someone-else")).toBeUndefined();
  });

  it("adopts the key from a CSV and the practice reads ACTIVE with it", async () => {
    const csv = path.join(stateDir, "good.csv");
    writeFileSync(csv, `practiceId,customerKey\ncli-imported-1,${foreignKey}\n`);
    const run = await ops(...KEY_ADMINISTRATOR, "import", "--file", csv, "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      command: "import",
      mode: "csv",
      dryRun: false,
      written: true,
      imported: [{ practiceId: "cli-imported-1", maskedKey: mask(foreignKey) }],
      conflicts: [],
    });
    expect(await store.getPractice("cli-imported-1")).toMatchObject({
      status: "ACTIVE",
      customerKey: expect.stringMatching(/^kms1:/),
    });
    expect(await fullKeyOf("cli-imported-1")).toBe(foreignKey);
  });
});

describe("ops usage errors", () => {
  it.each([
    [["frobnicate"], "error: unknown command 'frobnicate'"],
    [["offboard", "cli-practice-1"], "error: required option '--reason <text>' not specified"],
    [
      ["offboard", "cli-practice-1", "--reason", "  "],
      "error: --reason must not be empty or only whitespace",
    ],
    [
      ["status", "bad/id"],
      `error: command-argument value 'bad/id' is invalid for argument 'practiceId'. practiceId must be 1-64 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-", got "bad/id"`,
    ],
    [
      ["list", "--status", "GONE"],
      "error: option '--status <status>' argument 'GONE' is invalid. Allowed choices are ONBOARDING, ACTIVE, FAILED, OFFBOARDING, OFFBOARDED.",
    ],
    [
      ["executions", "--limit", "0"],
      "error: option '--limit <n>' argument '0' is invalid. --limit must be a whole number from 1 to 1000, got \"0\"",
    ],
  ])("exits 2 with one error line and the usage hint for %j, starting nothing", async (args, message) => {
    const before = stack.engine.listExecutions({
      stateMachineArn: stack.endpoints.outputs[STACK_OUTPUTS.onboarding]!,
    });
    const run = await opsRaw(...args, "--local");
    expect(run).toEqual({ code: 2, stdout: "", stderr: `${message}\n${USAGE_HINT}\n` });
    const after = stack.engine.listExecutions({
      stateMachineArn: stack.endpoints.outputs[STACK_OUTPUTS.onboarding]!,
    });
    expect(after.executions).toHaveLength(before.executions!.length);
  });

  it("prints help for a command with the global options, exit 0", async () => {
    const run = await opsRaw("onboard", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: npm run ops -- onboard [options] <practiceId>");
    expect(run.stdout).toContain("Global Options:\n  --local ");
    expect(run.stdout).toMatch(
      /--local-role <role>[\s\S]*\(choices:\s+"operator",\s+"key-administrator",\s+default:\s+"operator"\)/,
    );
  });
});

describe("ops --local without a running stack", () => {
  it("exits 1 saying no local stack is running", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "ops-cli-empty-"));
    try {
      const run = await runOpsCli(["list", "--local"], { PRACTICE_ONBOARDING_STATE_DIR: empty });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        /^error: No local stack is running \(.*endpoints\.json is missing\): start one with `npm start`\n$/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("ops on a deployed stack (outputs from CloudFormation DescribeStacks)", () => {
  let cloudFormation: FakeCloudFormation;
  /** The standard SDK variables only: no credentials files, no instance metadata. */
  const hermetic = {
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  let deployed: Record<string, string>;

  beforeAll(async () => {
    const {
      OffboardingStateMachineArn: _,
      ReconciliationStateMachineArn: __,
      ...older
    } = stack.endpoints.outputs;
    cloudFormation = await startFakeCloudFormation({
      PracticeOnboarding: { ...stack.endpoints.outputs },
      // A stack deployed before offboarding and reconciliation existed.
      OlderStack: older,
      RenamedStack: { ...stack.endpoints.outputs },
    });
    deployed = {
      ...hermetic,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
      AWS_ENDPOINT_URL_SFN: stack.endpoints.awsEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.endpoints.awsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamoDbEndpoint,
      PORTAL_MAX_RPS: "20",
    };
  });
  afterAll(() => cloudFormation?.close());

  it("reads the stack's outputs and acts on the resources they name", async () => {
    const run = await runOpsCli(["list", "--status", "ACTIVE", "--json"], deployed);
    outputs.push(run);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).practices.map((p: { practiceId: string }) => p.practiceId)).toEqual([
      "cli-imported-1",
      "cli-practice-1",
    ]);
    expect(cloudFormation.requested).toEqual(["PracticeOnboarding"]);
  });

  it("exits 1 saying an older stack has no offboarding workflow yet, starting nothing", async () => {
    const run = await runOpsCli(
      ["offboard", "cli-practice-1", "--reason", "contract ended", "--stack", "OlderStack"],
      deployed,
    );
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: stack OlderStack (us-east-1) has no offboarding workflow yet (stack output OffboardingStateMachineArn is missing)\n",
    });
  });

  it("says how to follow a run it started, repeating the run's --stack and --region", async () => {
    const run = await runOpsCli(["reconcile", "--stack", "RenamedStack", "--region", "us-east-1"], deployed);
    outputs.push(run);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Started report-only reconciliation\n {2}execution {2}ops-reconcile-\d{8}T\d{9}Z\n {2}arn {8}arn:\S+\n/,
    );
    expect(run.stdout).toMatch(
      /\nFollow it with: npm run ops -- --stack RenamedStack --region us-east-1 executions --limit 5 {3}\(or start with --wait\)\n$/,
    );
    // Ends before the tests that read the stored runs.
    await stack.engine.waitForExecution(/ {2}arn {8}(\S+)\n/.exec(run.stdout)![1]!);
  });

  it("exits 1 saying the stack does not exist when --stack names none", async () => {
    const run = await runOpsCli(["list", "--stack", "NoSuchStack"], deployed);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: stack NoSuchStack does not exist in us-east-1: deploy it (npx cdk deploy), pass --stack/--region, or use --local\n",
    });
  });

  it("exits 1 saying AWS credentials are missing when the chain finds none", async () => {
    const run = await runOpsCli(["status", "cli-practice-1"], {
      ...hermetic,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "error: AWS credentials are missing or not valid (CredentialsProviderError): configure them (aws configure, AWS_PROFILE, aws sso login) or use --local for the local stack\n",
    );
  });

  it("exits 1 saying the region is missing when neither --region nor AWS_REGION gives one", async () => {
    const run = await runOpsCli(["list"], hermetic);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: no AWS region: pass --region or set AWS_REGION (or use --local for the local stack)\n",
    });
  });
});

// After the deployed-stack tests, which count the ACTIVE practices.
describe("ops reconcile --repair --wait", () => {
  const drift = () => ({ simulator: stack.simulator!, store });
  /** `    +0.31 s  <text>`: one progress line of --wait. */
  const progress = (text: string) =>
    expect.stringMatching(new RegExp(`^ {2}\\s*\\+\\d+\\.\\d{2} s {2}${text}$`));

  it("follows a repair run line by line, repairs a label drift and a stuck onboarding, and exits 0", async () => {
    const relabeled = await activePractice(drift(), "cli-drift-label", {
      devRefId: "Drift Dental",
      portal: { DevRefId: "Old Drift Name" },
    });
    const [raw] = stack.simulator!.addKeys([{}]);
    const stuck = await onboardingWithKey(drift(), "cli-drift-stuck", raw!, {
      devRefId: "Stuck Dental",
      executionName: "vanished-execution",
      at: HOURS_AGO(2),
    });
    const stuckSince = (await store.getPractice("cli-drift-stuck"))!.updatedAt;

    const run = await ops("reconcile", "--repair", "--wait");

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const runId = /^Following (ops-reconcile-repair-\d{8}T\d{9}Z):\n/.exec(run.stdout)?.[1];
    expect(runId).toBeDefined();
    const duration = "\\(\\d+(\\.\\d)? m?s\\)";
    expect(run.stdout.split("\n")).toEqual([
      `Following ${runId}:`,
      progress("execution started"),
      progress("→ StartRun"),
      progress(`✓ StartRun ${duration}`),
      progress("→ ListPortalKeys"),
      progress(`✓ ListPortalKeys ${duration}`),
      progress("→ AllKeysListed"),
      progress("→ CheckPractices"),
      progress(`✓ CheckPractices ${duration}`),
      progress("→ AllPracticesChecked"),
      progress("→ ClassifyCandidates"),
      progress(`✓ ClassifyCandidates ${duration}`),
      progress("→ CandidatesDecided"),
      progress("→ RepairFindings"),
      progress(`✓ RepairFindings ${duration}`),
      progress("→ AllRepairsMade"),
      progress("→ FinishRun"),
      progress(`✓ FinishRun ${duration}`),
      progress("→ Reconciled"),
      expect.stringMatching(/^Reconciliation SUCCEEDED in \d+(\.\d)? m?s$/),
      `Reconciliation ${runId}: SUCCEEDED (repair)`,
      expect.stringMatching(/^ {2}started \S+Z, finished \S+Z$/),
      "  grace 30 min, not-yet-assigned after 7 days",
      "  6 portal keys on 1 page, 6 practices checked",
      "",
      "Findings by category:",
      "  UNMAPPED_KEY_OURS            0  (repairable)",
      "  UNMAPPED_KEY_FOREIGN         0  (needs a person)",
      "  KEY_MISSING                  0  (needs a person)",
      "  SHOULD_BE_DISABLED           0  (repairable)",
      "  UNEXPECTEDLY_DISABLED        0  (needs a person)",
      "  LABEL_DRIFT                  1  (repairable)",
      "  STUCK                        1  (repairable)",
      "  NOT_YET_ASSIGNED             0  (report only)",
      "  needing attention: 0",
      "  repairs: 2 done, 0 skipped, 0 failed, 0 deferred (within grace) of 2 planned",
      "",
      "LABEL_DRIFT (1)",
      `  - practice cli-drift-label, key ${relabeled.maskedKey}: portalDevRefId=Old Drift Name recordDevRefId=Drift Dental`,
      "",
      "STUCK (1)",
      `  - practice cli-drift-stuck, key ${stuck.maskedKey}: execution=NOT_FOUND keyInPortal=Enabled status=ONBOARDING since=${stuckSince} lastExecution=vanished-execution`,
      "",
    ]);

    const portal = stack.simulator!.keys();
    expect(portal.find((key) => key.CustomerKey === relabeled.customerKey)?.DevRefId).toBe("Drift Dental");
    expect(portal.find((key) => key.CustomerKey === stuck.customerKey)?.DevRefId).toBe("Stuck Dental");
    expect(await store.getPractice("cli-drift-stuck")).toMatchObject({ status: "ACTIVE" });
    expect(await fullKeyOf("cli-drift-stuck")).toBe(stuck.customerKey);
  });

  it("prints the repair run's report as one JSON document, progress on stderr, with --json", async () => {
    const relabeled = await activePractice(drift(), "cli-drift-json", {
      devRefId: "Json Dental",
      portal: { DevRefId: "Old Json Name" },
    });

    const run = await ops("reconcile", "--repair", "--wait", "--json");

    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document).toMatchObject({
      command: "reconcile",
      requestedBy: ME,
      input: { repair: true },
      executionName: expect.stringMatching(/^ops-reconcile-repair-\d{8}T\d{9}Z$/),
      result: { status: "SUCCEEDED" },
    });
    expect(document.report.summary).toMatchObject({
      runId: document.executionName,
      status: "SUCCEEDED",
      repair: true,
      needingAttention: 0,
      repairs: { planned: 1, done: 1, skipped: 0, failed: 0, deferred: 0 },
    });
    expect(document.report.summary.counts).toMatchObject({ LABEL_DRIFT: 1, STUCK: 0, SHOULD_BE_DISABLED: 0 });
    expect(document.report.findings).toEqual([
      {
        category: "LABEL_DRIFT",
        practiceId: "cli-drift-json",
        maskedKey: relabeled.maskedKey,
        details: { portalDevRefId: "Old Json Name", recordDevRefId: "Json Dental" },
      },
    ]);
    expect(run.stderr.split("\n")[0]).toBe(`Following ${document.executionName}:`);
    expect(run.stderr).toMatch(/\n\s+\+\d+\.\d{2} s {2}✓ RepairFindings \(/);
    expect(stack.simulator!.keys().find((key) => key.CustomerKey === relabeled.customerKey)?.DevRefId).toBe(
      "Json Dental",
    );
  });
});

describe("ops --wait interrupted by Ctrl-C", () => {
  /**
   * Starts `ops --local args…` with every portal answer held 3 s, sends SIGINT once stdout shows `entered`,
   * and returns the CLI's run and the execution it was following. The latency only keeps the execution running
   * while the signal lands; it is lifted once the CLI has ended.
   */
  async function interruptWhileFollowing(args: string[], entered: string, stateMachine: string) {
    const simulator = stack.simulator!;
    const before = simulator.setFaults({});
    simulator.setFaults({ latencyMs: 3000 });
    let run: OpsRun;
    try {
      const cli = startOpsCli(["--local", ...args], localEnv());
      await cli.stdoutMatching(new RegExp(`  → ${entered}\\n`));
      cli.child.kill("SIGINT");
      run = await cli.finished;
    } finally {
      simulator.setFaults(before);
    }
    outputs.push(run);
    const name = /^Following (\S+):\n/.exec(run.stdout)?.[1];
    const execution = stack.engine
      .listExecutions({ stateMachineArn: stack.endpoints.outputs[stateMachine]! })
      .executions?.find((listed) => listed.name === name);
    if (!name || !execution?.executionArn)
      throw new Error(`no execution followed:\n${run.stdout}${run.stderr}`);
    return { run, name, executionArn: execution.executionArn };
  }

  it("says where to list executions, with the run's --local, on a Ctrl-C while nothing is followed", async () => {
    const simulator = stack.simulator!;
    const before = simulator.setFaults({});
    simulator.setFaults({ latencyMs: 3000 });
    const from = simulator.calls().length;
    let run: OpsRun;
    try {
      // `status` asks the portal for the key's live state: interrupted while that answer is held.
      const cli = startOpsCli(["--local", ...KEY_ADMINISTRATOR, "status", "cli-practice-1"], localEnv());
      const deadline = Date.now() + 20_000;
      while (
        !simulator
          .calls()
          .slice(from)
          .some((call) => call.method === "GET")
      ) {
        if (Date.now() > deadline) throw new Error("status never asked the portal");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      cli.child.kill("SIGINT");
      run = await cli.finished;
    } finally {
      simulator.setFaults(before);
    }
    outputs.push(run);
    expect(run.code).toBe(130);
    expect(run.stderr).toBe(
      "\nInterrupted; anything already started keeps running (see: npm run ops -- --local --local-role key-administrator executions).\n",
    );
  });

  it("stops following an onboarding with exit 130, says how to check on it, and the execution completes", async () => {
    const { run, name, executionArn } = await interruptWhileFollowing(
      ["onboard", "cli-interrupted", "--wait"],
      "CreateKey",
      STACK_OUTPUTS.onboarding,
    );

    expect(run.code).toBe(130);
    expect(run.stderr).toBe(
      `\nStopped following ${name}: the execution keeps running. Check on it with:\n` +
        "  npm run ops -- --local status cli-interrupted\n",
    );
    expect(run.stdout).not.toContain("SUCCEEDED");
    expect((await stack.engine.waitForExecution(executionArn)).status).toBe("SUCCEEDED");
    const status = await ops("status", "cli-interrupted");
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("Practice cli-interrupted\n  status        ACTIVE\n");
  });

  it("stops following a reconciliation with exit 130, naming its executions and its report to read", async () => {
    const { run, name, executionArn } = await interruptWhileFollowing(
      ["reconcile", "--wait"],
      "ListPortalKeys",
      STACK_OUTPUTS.reconciliation,
    );

    expect(run.code).toBe(130);
    expect(run.stderr).toBe(
      `\nStopped following ${name}: the execution keeps running. Check on it with:\n` +
        "  npm run ops -- --local executions --limit 5\n" +
        `  npm run ops -- --local reconcile --show ${name}\n`,
    );
    expect((await stack.engine.waitForExecution(executionArn)).status).toBe("SUCCEEDED");
    const report = await ops("reconcile", "--show", name);
    expect(report.code).toBe(0);
    expect(report.stdout.split("\n")[0]).toBe(`Reconciliation ${name}: SUCCEEDED (report only)`);
  });
});

describe("ops reconcile --wait on a run that fails", () => {
  const refuseNextListing = () =>
    stack.simulator!.queueFaults({
      method: "GET",
      kind: "status",
      status: 400,
      body: JSON.stringify("Listing refused."),
    });
  const error = "PortalRejected: GET /apikeys?Offset=0&Limit=100: 400 BadRequest: Listing refused.";

  it("shows the failed state without a ✓ for it, where the Catch went, and the error, exit 1", async () => {
    refuseNextListing();
    const run = await ops("reconcile", "--wait");

    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^Following ops-reconcile-\d{8}T\d{9}Z:$/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}execution started$/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}→ StartRun$/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}✓ StartRun \(/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}→ ListPortalKeys$/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}✗ ListPortalKeys failed \(attempt 1\): (.+)$/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}→ RecordFailure$/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}✓ RecordFailure \(/),
      expect.stringMatching(/^ +\+\d+\.\d{2} s {2}→ ReconciliationFailed$/),
      expect.stringMatching(/^Reconciliation FAILED in \d+(\.\d)? m?s$/),
      `  error: ${error}`,
      expect.stringMatching(
        /^What it found before failing: npm run ops -- --local reconcile --show ops-reconcile-\d{8}T\d{9}Z$/,
      ),
      "",
    ]);
    expect(lines[5]!.endsWith(`: ${error}`)).toBe(true);
    // The command it suggests shows the stored run: FAILED, with the error.
    const name = /reconcile --show (\S+)$/.exec(lines.at(-2)!)![1]!;
    const shown = await ops("reconcile", "--show", name);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split("\n")[0]).toBe(`Reconciliation ${name}: FAILED (report only)`);
    expect(shown.stdout).toContain(`  error: ${error}`);
  });

  it("prints the failed execution with its error and cause and no report with --json, exit 1", async () => {
    refuseNextListing();
    const run = await ops("reconcile", "--wait", "--json");

    expect(run.code).toBe(1);
    const document = JSON.parse(run.stdout);
    expect(document.result).toMatchObject({
      status: "FAILED",
      error: "PortalRejected",
      cause: "GET /apikeys?Offset=0&Limit=100: 400 BadRequest: Listing refused.",
    });
    expect(document).not.toHaveProperty("report");
    expect(
      document.result.events.filter((event: { state?: string }) => event.state === "ListPortalKeys"),
    ).toEqual([
      expect.objectContaining({ kind: "entered" }),
      expect.objectContaining({ kind: "failed", attempt: 1, error: "PortalRejected" }),
    ]);
  });
});

describe("ops output", () => {
  it("never contains a full CustomerKey", async () => {
    // Every key the portal holds: the practices' (ACTIVE, OFFBOARDED, compensated), and the imported one.
    const state = (await (await fetch(`${stack.endpoints.simulatorOrigin}/_simulator/state`)).json()) as {
      keys: { CustomerKey: string }[];
    };
    const keys = state.keys.map((key) => key.CustomerKey);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(outputs.length).toBeGreaterThan(10);
    for (const run of outputs) {
      for (const key of keys) {
        expect(run.stdout).not.toContain(key);
        expect(run.stderr).not.toContain(key);
      }
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/\b[A-Z0-9]{16}\b/);
    }
  });
});
