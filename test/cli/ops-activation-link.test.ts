// `ops activation-link` end to end: the real binary against a local stack started in this process, the link it
// prints opened over HTTP on the stack's own API.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../functions/practice/audit-trail.js";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { readEventsFile } from "../../local/events-file.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import { type OpsRun, runOpsCli } from "../support/ops-cli.js";
import { outboxEvents } from "../support/outbox-items.js";

let stack: LocalStack;
let stateDir: string;
let store: PracticeStore;
let client: DynamoDBDocumentClient;
let tableName: string;

async function ops(...args: string[]): Promise<OpsRun> {
  // Issuing a link is a key administrator's act (lib/key-administrator-policy.ts).
  const role = args[0] === "activation-link" ? ["--local-role", "key-administrator"] : [];
  return runOpsCli(["--local", ...role, ...args], {
    PRACTICE_ONBOARDING_STATE_DIR: stateDir,
    PORTAL_MAX_RPS: "20",
  });
}

async function onboarded(practiceId: string): Promise<void> {
  const run = await ops("onboard", practiceId, "--dev-ref-id", `Dental ${practiceId}`, "--wait");
  expect(run.code, run.stderr).toBe(0);
}

const linkJson = (run: OpsRun) =>
  JSON.parse(run.stdout) as { practiceId: string; url: string; expiresAt: string };

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ops-activation-"));
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(await findFreePort()), PORTAL_MAX_RPS: "20" }),
    stateDir,
    retryIntervalOverrides: 0,
  });
  tableName = stack.endpoints.outputs[STACK_OUTPUTS.tableName]!;
  client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamoDbEndpoint));
  store = new PracticeStore({ client, tableName });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

// Each test runs the CLI several times (a process each, a few seconds on a busy machine).
describe("ops activation-link", { timeout: 180_000 }, () => {
  it("prints {practiceId, url, expiresAt} with --json; the URL opens the practice's page on the stack's API", async () => {
    await onboarded("act-cli-1");
    const before = Date.now();
    const run = await ops("activation-link", "act-cli-1", "--expires", "3d", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const link = linkJson(run);
    expect(Object.keys(link)).toEqual(["practiceId", "url", "expiresAt"]);
    expect(link.practiceId).toBe("act-cli-1");
    expect(link.url).toMatch(
      new RegExp(`^${stack.endpoints.outputs[STACK_OUTPUTS.activationBaseUrl]}activate/[A-Za-z0-9_-]{43}$`),
    );
    const expiresAt = Date.parse(link.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3 * 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3 * 86_400_000);

    const page = await fetch(link.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Dental act-cli-1");
    const trail = await listAudit({ client, tableName }, "act-cli-1");
    expect(trail.map((e) => e.action)).toEqual(
      expect.arrayContaining(["ACTIVATION_LINK_ISSUED", "ACTIVATION_LINK_VIEWED"]),
    );
    expect(JSON.stringify(trail)).not.toContain(link.url.split("/").pop());
  });

  it("revokes the practice's open link when it issues a new one; the old URL answers 410", async () => {
    await onboarded("act-cli-2");
    const first = linkJson(await ops("activation-link", "act-cli-2", "--json"));
    const second = await ops("activation-link", "act-cli-2");
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^Activation link for act-cli-2, valid once until \S+Z:\n {2}http/);
    expect(second.stdout).toMatch(/It replaces the open link [0-9a-f]{12}, which no longer works\./);
    expect(Date.parse(first.expiresAt) - Date.now()).toBeGreaterThan(7 * 86_400_000 - 120_000);
    expect((await fetch(first.url)).status).toBe(410);
    const secondUrl = /^ {2}(http\S+)$/m.exec(second.stdout)![1]!;
    expect((await fetch(secondUrl)).status).toBe(200);
  });

  it("publishes PracticeActivationLinkIssued with the practice, link id and expiry, never the URL or token", async () => {
    await onboarded("act-cli-4");
    const first = linkJson(await ops("activation-link", "act-cli-4", "--json"));
    const second = linkJson(await ops("activation-link", "act-cli-4", "--json"));
    // Written with the link, in its transaction (the key administrator's grants suffice); the stream delivers it.
    const written = (await outboxEvents({ client, tableName })).filter(
      (e) => e.detailType === "PracticeActivationLinkIssued" && e.detail.practiceId === "act-cli-4",
    );
    expect(written.map((e) => e.detail.expiresAt).sort()).toEqual([first.expiresAt, second.expiresAt].sort());
    await stack.streamSources.drain();
    const events = readEventsFile(stack.endpoints.eventsFile).filter(
      (e) => e["detail-type"] === "PracticeActivationLinkIssued" && e.detail.practiceId === "act-cli-4",
    );
    expect(events.map((e) => e.detail.expiresAt)).toEqual([first.expiresAt, second.expiresAt]);
    const [firstEvent, secondEvent] = events.map((e) => e.detail);
    expect(Object.keys(secondEvent!).sort()).toEqual(
      [
        "eventId",
        "executionName",
        "expiresAt",
        "issuedBy",
        "linkId",
        "occurredAt",
        "practiceId",
        "replacedLinkIds",
        "schemaVersion",
      ].sort(),
    );
    expect(secondEvent!.replacedLinkIds).toEqual([firstEvent!.linkId]);
    expect(secondEvent!.executionName).toBe(`activation-link-${secondEvent!.linkId}`);
    const serialized = JSON.stringify(events);
    for (const link of [first, second]) expect(serialized).not.toContain(link.url.split("/").pop());
    expect(serialized).not.toContain("/activate/");
  });

  it("is revoked by offboarding: the open link answers 410 and the trail says why", async () => {
    await onboarded("act-cli-5");
    const link = linkJson(await ops("activation-link", "act-cli-5", "--json"));
    expect((await ops("offboard", "act-cli-5", "--reason", "contract ended", "--wait")).code).toBe(0);
    expect((await fetch(link.url)).status).toBe(410);
    const revoked = (await listAudit({ client, tableName }, "act-cli-5")).filter(
      (e) => e.action === "ACTIVATION_LINK_REVOKED",
    );
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.details?.reason).toBe("offboarded");
    expect(revoked[0]!.actor).toMatch(/^offboarding:ops-act-cli-5-/);
  });

  it("shows the latest link in ops status: issued, then revealed with its time, by link id only", async () => {
    await onboarded("act-cli-6");
    const link = linkJson(await ops("activation-link", "act-cli-6", "--json"));
    const token = link.url.split("/").pop()!;
    const before = JSON.parse((await ops("status", "act-cli-6", "--json")).stdout);
    expect(before.activationLink).toMatchObject({ state: "open", expiresAt: link.expiresAt });
    expect(before.activationLink).not.toHaveProperty("revealedAt");

    // The page's own form post (same origin, the token in the body): what the Reveal key button sends.
    const reveal = await fetch(link.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(reveal.status).toBe(200);

    const after = await ops("status", "act-cli-6", "--json");
    const document = JSON.parse(after.stdout);
    expect(document.activationLink).toMatchObject({
      linkId: before.activationLink.linkId,
      state: "revealed",
      revealedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    const human = await ops("status", "act-cli-6");
    expect(human.stdout).toMatch(
      new RegExp(`Activation link \\(latest\\)\\n {2}link +${before.activationLink.linkId} \\(revealed\\)`),
    );
    expect(human.stdout).toMatch(/ {2}revealed +\d{4}-\d{2}-\d{2}T\S+Z/);
    for (const run of [after, human]) expect(run.stdout).not.toContain(token);
  });

  it("refuses a practice that is not ACTIVE, or not recorded, with one line and exit 1", async () => {
    const unknown = await ops("activation-link", "act-cli-nobody");
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/^error: practice act-cli-nobody is not recorded on the local stack/);

    await onboarded("act-cli-3");
    expect((await ops("offboard", "act-cli-3", "--reason", "contract ended", "--wait")).code).toBe(0);
    const offboarded = await ops("activation-link", "act-cli-3");
    expect(offboarded.code).toBe(1);
    expect(offboarded.stderr).toBe(
      "error: practice act-cli-3 is OFFBOARDED: only an ACTIVE practice's key can be sent by activation link\n",
    );
    expect((await store.getPractice("act-cli-3"))?.status).toBe("OFFBOARDED");
  });

  it.each([["0d"], ["4m"], ["31d"], ["7 days"], ["-1d"], ["1w"], [""]])(
    "exits 2 for --expires %j before contacting any stack",
    async (expires) => {
      const run = await runOpsCli(["--local", "activation-link", "act-cli-1", "--expires", expires], {
        PRACTICE_ONBOARDING_STATE_DIR: path.join(stateDir, "nowhere"),
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("--expires must be");
    },
  );

  it("has --help naming --expires and --json", async () => {
    const run = await runOpsCli(["activation-link", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--expires <duration>");
    expect(run.stdout).toContain("--json");
  });
});
