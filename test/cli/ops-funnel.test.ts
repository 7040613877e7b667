// The installation funnel through the CLI, against a local stack started in this process: `ops list` and
// `ops status` show link issued → revealed → installed with times, and `ops list --not-installed --older-than`
// names the offices to call. The key is revealed over HTTP as the page's own form posts it, installed in the
// simulator, and seen by `ops reconcile`. No output carries a full key or a link token.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PracticeStore } from "../../functions/practice/practice-store.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, startLocalStack } from "../../local/local-stack.js";
import { type OpsRun, runOpsCli } from "../support/ops-cli.js";
import { activePractice, HOURS_AGO } from "../support/reconciliation-drift.js";
import { localStackPracticeStore } from "../support/test-practice-store.js";

const USAGE_HINT = "(run with --help for usage)";

let stack: LocalStack;
let stateDir: string;
let store: PracticeStore;
let client: DynamoDBDocumentClient;
const outputs: OpsRun[] = [];
const secrets: string[] = [];

async function ops(...args: string[]): Promise<OpsRun> {
  // Issuing a link is a key administrator's act (lib/key-administrator-policy.ts); the rest is the operator's.
  const role = args[0] === "activation-link" ? ["--local-role", "key-administrator"] : [];
  const run = await runOpsCli(["--local", ...role, ...args], {
    PRACTICE_ONBOARDING_STATE_DIR: stateDir,
    PORTAL_MAX_RPS: "20",
  });
  // activation-link prints its URL (the token) by design: that is how it reaches the office. Every other output
  // is scanned.
  if (args[0] !== "activation-link") outputs.push(run);
  return run;
}

async function onboarded(practiceId: string): Promise<void> {
  const run = await ops("onboard", practiceId, "--dev-ref-id", `Dental ${practiceId}`, "--wait");
  expect(run.code, run.stderr).toBe(0);
  // The key itself (the record holds its ciphertext): what the output must never show.
  secrets.push(await store.revealCustomerKey((await store.getPractice(practiceId))!));
}

async function issueLink(practiceId: string): Promise<string> {
  const run = await ops("activation-link", practiceId, "--json");
  expect(run.code, run.stderr).toBe(0);
  const { url } = JSON.parse(run.stdout) as { url: string };
  secrets.push(url.split("/").pop()!);
  return url;
}

/** The reveal the page's own form makes; returns the key it shows. */
async function reveal(url: string): Promise<string> {
  const token = url.split("/").pop()!;
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(response.status).toBe(200);
  return /id="customer-key"[^>]*>([A-Z0-9]{16})</.exec(await response.text())![1]!;
}

interface ListedPractice {
  practiceId: string;
  funnel: { stage: string; linkIssuedAt?: string; linkRevealedAt?: string; installedAt?: string };
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ops-funnel-"));
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(await findFreePort()), PORTAL_MAX_RPS: "20" }),
    stateDir,
    retryIntervalOverrides: 0,
  });
  client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamoDbEndpoint));
  store = localStackPracticeStore(stack.endpoints, stateDir, client);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  client?.destroy();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("the installation funnel in ops", { timeout: 240_000 }, () => {
  it("shows each ACTIVE practice's stage with its time: no link, link issued, revealed, installed", async () => {
    await onboarded("fun-none");
    await onboarded("fun-issued");
    await issueLink("fun-issued");
    await onboarded("fun-revealed");
    await reveal(await issueLink("fun-revealed"));
    await onboarded("fun-installed");
    const key = await reveal(await issueLink("fun-installed"));
    expect(key).toBe(await store.revealCustomerKey((await store.getPractice("fun-installed"))!));
    stack.simulator!.assignKey(key, "2025-06-02 14:05:09");
    const reconcile = await ops("reconcile", "--wait");
    expect(reconcile.code, reconcile.stderr).toBe(0);

    const listed = await ops("list", "--status", "ACTIVE", "--json");
    expect(listed.code).toBe(0);
    const stages = Object.fromEntries(
      (JSON.parse(listed.stdout).practices as ListedPractice[]).map((p) => [p.practiceId, p.funnel]),
    );
    expect(stages["fun-none"]).toEqual({ stage: "no link" });
    expect(stages["fun-issued"]).toEqual({ stage: "link issued", linkIssuedAt: expect.any(String) });
    expect(stages["fun-revealed"]).toEqual({
      stage: "revealed",
      linkIssuedAt: expect.any(String),
      linkRevealedAt: expect.any(String),
    });
    expect(stages["fun-installed"]).toEqual({
      stage: "installed",
      linkIssuedAt: expect.any(String),
      linkRevealedAt: expect.any(String),
      installedAt: expect.any(String),
      assignedInPortal: "2025-06-02 14:05:09",
    });
    const installed = stages["fun-installed"]!;
    expect(installed.linkIssuedAt! <= installed.linkRevealedAt!).toBe(true);
    expect(installed.linkRevealedAt! <= installed.installedAt!).toBe(true);

    const table = await ops("list");
    const header = table.stdout.split("\n")[0]!;
    expect(header).toMatch(/^PRACTICE\s+STATUS\s+KEY\s+DEVREFID\s+UPDATED\s+FUNNEL\s+LAST EXECUTION$/);
    const line = (id: string) => table.stdout.split("\n").find((l) => l.startsWith(`${id} `))!;
    expect(line("fun-installed")).toMatch(/\sinstalled \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s/);
    expect(line("fun-revealed")).toMatch(/\srevealed \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s/);
    expect(line("fun-issued")).toMatch(/\slink issued \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s/);
    expect(line("fun-none")).toMatch(/\sno link\s/);

    const status = await ops("status", "fun-installed");
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("Getting the key to the office (link issued → revealed → installed)");
    expect(status.stdout).toMatch(/^ {2}stage\s+installed$/m);
    expect(status.stdout).toMatch(
      /^ {2}installed\s+\S+Z \(the portal says 2025-06-02 14:05:09, its own time zone\)$/m,
    );
    const waiting = await ops("status", "fun-revealed", "--json");
    expect(JSON.parse(waiting.stdout).funnel).toEqual(stages["fun-revealed"]);
  });

  it("lists the offices to call: ACTIVE, not installed, for longer than --older-than", async () => {
    const old = await activePractice({ simulator: stack.simulator!, store }, "fun-old", {
      at: HOURS_AGO(24 * 4),
    });
    secrets.push(old.customerKey);

    const all = await ops("list", "--not-installed", "--json");
    const ids = (run: OpsRun) =>
      (JSON.parse(run.stdout).practices as ListedPractice[]).map((p) => p.practiceId).sort();
    expect(ids(all)).toEqual(["fun-issued", "fun-none", "fun-old", "fun-revealed"]);

    const toCall = await ops("list", "--not-installed", "--older-than", "3d");
    expect(toCall.code).toBe(0);
    const lines = toCall.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PRACTICE\s+KEY\s+DEVREFID\s+ACTIVE SINCE\s+FUNNEL$/);
    expect(lines.slice(1, -1).map((l) => l.split(/\s+/)[0])).toEqual(["fun-old"]);
    expect(lines.at(-1)).toBe(
      "1 ACTIVE practice whose key is not installed (as of the last reconciliation): call these offices",
    );
    const none = await ops("list", "--not-installed", "--older-than", "30d");
    expect(none.stdout).toBe("Every ACTIVE practice's key is installed (as of the last reconciliation).\n");
  });

  it.each([
    [
      ["list", "--not-installed", "--older-than", "3x"],
      `error: option '--older-than <age>' argument '3x' is invalid. --older-than must be an age such as 3d, 36h, 1d12h or 90m, got "3x"`,
    ],
    [
      ["list", "--not-installed", "--older-than", "400d"],
      `error: option '--older-than <age>' argument '400d' is invalid. --older-than must be between 1m and 365d, got "400d"`,
    ],
    [
      ["list", "--older-than", "3d"],
      "error: --older-than goes with --not-installed (how long the key has gone uninstalled)",
    ],
    [
      ["list", "--not-installed", "--status", "FAILED"],
      "error: --not-installed lists ACTIVE practices only; it cannot be combined with --status FAILED",
    ],
  ])("refuses %j with exit 2, one error line and the usage hint", async (args, message) => {
    const run = await ops(...args);
    expect(run).toEqual({ code: 2, stdout: "", stderr: `${message}\n${USAGE_HINT}\n` });
  });

  it("never printed a full key or a link token", () => {
    expect(secrets.length).toBeGreaterThan(5);
    const printed = outputs.map((run) => `${run.stdout}\n${run.stderr}`).join("\n");
    expect(secrets.filter((secret) => printed.includes(secret))).toEqual([]);
  });
});
