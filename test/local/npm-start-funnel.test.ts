// The installation funnel end to end on the real `npm start`: a practice onboarded by a signed webhook, an
// activation link issued with `ops --local activation-link --json`, the key revealed in headless Chromium, the
// office installing it (the simulator's control API sets DateTimeAssigned), `ops --local reconcile`, and then
// `installed` in `ops status` and one PracticeKeyInstalled event. The leak scan reads everything the stack and the
// CLI wrote: no full key and no link token anywhere but the activation-link command's own answer.
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskKeyTail } from "../../functions/platform/mask.js";
import { readEventsFile } from "../../local/events-file.js";
import { findFreePort } from "../../local/free-port.js";
import { generateWebhookSecret, type LocalEndpoints, STACK_OUTPUTS } from "../../local/local-stack.js";
import { simulatorControl } from "../../local/portal-simulator-control.js";
import { sendCrmDelivery } from "../../local/signed-webhook.js";
import { CHROMIUM_ARGS, requiredChromium } from "../activation/chromium.js";
import {
  type NpmStart,
  type OpsRun,
  runOpsLocal,
  spawnNpmStart,
  stopNpmStart,
  waitUntilActive,
} from "../support/npm-start.js";
import { localStackMask } from "../support/test-key-custody.js";

const START_TIMEOUT_MS = 180_000;
const PRACTICE = "funnel-e2e-001";
const executablePath = requiredChromium();

describe.skipIf(!executablePath)("npm start: from webhook to the key installed", () => {
  const webhookSecret = generateWebhookSecret();
  let stack: NpmStart;
  let endpoints: LocalEndpoints;
  let browser: Browser;
  /** Every ops run whose output must hold no secret (all but activation-link's answer). */
  const scanned: OpsRun[] = [];

  const ops = async (...args: string[]) => {
    const run = await runOpsLocal(stack.stateDir, args);
    scanned.push(run);
    return run;
  };

  beforeAll(async () => {
    stack = spawnNpmStart({ LOCAL_PORT: String(await findFreePort()), WEBHOOK_SECRET: webhookSecret });
    endpoints = await stack.ready();
    browser = await chromium.launch({ executablePath: executablePath!, args: CHROMIUM_ARGS });
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await stopNpmStart(stack);
  });

  it("onboards by webhook, reveals the key in Chromium, sees it installed after reconcile, and leaks nothing", {
    timeout: 300_000,
  }, async () => {
    const delivery = await sendCrmDelivery(endpoints.outputs[STACK_OUTPUTS.webhookUrl]!, webhookSecret, {
      practiceId: PRACTICE,
      devRefId: "Funnel Family Dental",
    });
    expect(delivery.status).toBe(202);
    await waitUntilActive(endpoints, PRACTICE);

    // Issuing a link is a key administrator's act (docs/ops-cli.md, Permissions).
    const issued = await runOpsLocal(stack.stateDir, [
      "--local-role",
      "key-administrator",
      "activation-link",
      PRACTICE,
      "--json",
    ]);
    expect(issued.code, issued.stderr).toBe(0);
    const { url } = JSON.parse(issued.stdout) as { url: string };
    const token = url.split("/").pop()!;

    const page = await (await browser.newContext()).newPage();
    expect((await page.goto(url))?.status()).toBe(200);
    const [revealed] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Reveal key" }).click(),
    ]);
    expect(revealed?.status()).toBe(200);
    const key = (await page.locator("#customer-key").textContent())!;
    expect(key).toMatch(/^[A-Z0-9]{16}$/);
    await page.context().close();

    const before = await ops("status", PRACTICE, "--json");
    expect(JSON.parse(before.stdout).funnel).toMatchObject({ stage: "revealed" });

    // The office adds the key in Open Dental: the portal now shows when.
    await simulatorControl(endpoints.simulatorOrigin!).assignKey(key, "2025-06-02 14:05:09");
    const reconcile = await ops("reconcile", "--wait");
    expect(reconcile.code, reconcile.stderr).toBe(0);

    const status = await ops("status", PRACTICE, "--json");
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout) as {
      funnel: { stage: string; linkIssuedAt: string; linkRevealedAt: string; installedAt: string };
    };
    expect(shown.funnel).toMatchObject({ stage: "installed", assignedInPortal: "2025-06-02 14:05:09" });
    expect(shown.funnel.linkIssuedAt <= shown.funnel.linkRevealedAt).toBe(true);
    expect(shown.funnel.linkRevealedAt <= shown.funnel.installedAt).toBe(true);
    const text = await ops("status", PRACTICE);
    expect(text.stdout).toMatch(/^ {2}stage\s+installed$/m);

    const installed = readEventsFile(endpoints.eventsFile).filter(
      (e) => e["detail-type"] === "PracticeKeyInstalled" && e.detail.practiceId === PRACTICE,
    );
    expect(installed.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        practiceId: PRACTICE,
        devRefId: "Funnel Family Dental",
        maskedKey: localStackMask(stack.stateDir)(key),
        installedAt: shown.funnel.installedAt,
        assignedInPortal: "2025-06-02 14:05:09",
      }),
    ]);
    const toCall = await ops("list", "--not-installed");
    expect(toCall.stdout).not.toContain(PRACTICE);

    // The leak scan: every file the stack wrote in its state directory (lambda.log, events.jsonl, …), what
    // npm start printed, and every ops output but activation-link's own answer.
    const files = readdirSync(stack.stateDir)
      .map((name) => path.join(stack.stateDir, name))
      .filter((file) => statSync(file).isFile());
    expect(files.map((file) => path.basename(file))).toEqual(
      expect.arrayContaining(["lambda.log", "events.jsonl"]),
    );
    const haystacks = [
      ...files.map((file) => readFileSync(file, "utf8")),
      stack.output.stdout,
      stack.output.stderr,
      ...scanned.flatMap((run) => [run.stdout, run.stderr]),
      issued.stderr,
    ];
    const leaks = [key, token].filter((secret) => haystacks.some((text) => text.includes(secret)));
    expect(leaks.map((secret) => (secret === key ? maskKeyTail(key) : "the link token"))).toEqual([]);
  });
});
