// `ops candidates`, `ops adopt-key`, `ops release-key` end to end (issue 14): the real binary against a local stack
// started in this process. A lost POST answer and keys made by hand the same day outnumber the lost POSTs, so
// reconciliation cannot tell which is ours and changes nothing; the operator decides, and the next repair follows.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../functions/practice/audit-trail.js";
import { PracticeStore } from "../../functions/practice/practice-store.js";
import { localDynamoDbClient } from "../../local/dynamodb-local.js";
import { findFreePort } from "../../local/free-port.js";
import { readLocalStackConfig } from "../../local/local-config.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../local/local-stack.js";
import type { SimulatorKey } from "../../local/portal-simulator.js";
import { type SimulatorControl, simulatorControl } from "../../local/portal-simulator-control.js";
import { type OpsRun, runOpsCli } from "../support/ops-cli.js";
import { stackKeyCipher } from "../support/test-key-cipher.js";
import { localStackFingerprinter, localStackMask } from "../support/test-key-custody.js";

let stack: LocalStack;
let stateDir: string;
let store: PracticeStore;
let client: DynamoDBDocumentClient;
let tableName: string;
let simulator: SimulatorControl;
/** A key as the local stack shows it (its fingerprint secret lives in the state dir). */
const mask = (customerKey: string) => localStackMask(stateDir)(customerKey);
const outputs: OpsRun[] = [];

const KEY_ADMINISTRATOR = ["--local-role", "key-administrator"];

async function ops(...args: string[]): Promise<OpsRun> {
  const run = await runOpsCli(["--local", ...args], {
    PRACTICE_ONBOARDING_STATE_DIR: stateDir,
    PORTAL_MAX_RPS: "20",
  });
  outputs.push(run);
  return run;
}

const keyOf = async (customerKey: string): Promise<SimulatorKey> =>
  (await simulator.keys()).find((k) => k.CustomerKey === customerKey)!;

/** Onboards `practiceId` with its first POST's answer lost after the key was made: returns that lost key. */
async function onboardLosingOnePost(practiceId: string): Promise<string> {
  const before = new Set((await simulator.keys()).map((k) => k.CustomerKey));
  await simulator.queueFaults({ kind: "commitThenDrop", method: "POST" });
  const run = await ops("onboard", practiceId, "--wait");
  expect(run.code, run.stderr).toBe(0);
  const record = await store.getPractice(practiceId);
  const recorded = record?.customerKey ? await store.revealCustomerKey(record) : undefined;
  const lost = (await simulator.keys()).filter(
    (k) => !before.has(k.CustomerKey) && k.CustomerKey !== recorded,
  );
  expect(lost).toHaveLength(1);
  expect(lost[0]).toMatchObject({ KeyStatus: "Enabled", DevRefId: "" });
  return lost[0]!.CustomerKey;
}

async function repair(): Promise<void> {
  const run = await ops("reconcile", "--repair", "--grace-minutes", "0", "--wait");
  expect(run.code, run.stdout + run.stderr).toBe(0);
}

interface CandidatesDocument {
  runId: string;
  candidates: Array<{
    maskedKey: string;
    dateCreated: string;
    attempts: Array<{ practiceId: string; executionName: string }>;
    decision: { kind: string; practiceId?: string; releasedBy?: string; reason?: string };
  }>;
}

async function candidates(): Promise<CandidatesDocument> {
  const run = await ops("candidates", "--json");
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as CandidatesDocument;
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ops-candidates-"));
  stack = await startLocalStack({
    config: readLocalStackConfig({ LOCAL_PORT: String(await findFreePort()), PORTAL_MAX_RPS: "20" }),
    stateDir,
    retryIntervalOverrides: 0,
  });
  tableName = stack.endpoints.outputs[STACK_OUTPUTS.tableName]!;
  client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamoDbEndpoint));
  store = new PracticeStore({
    client,
    tableName,
    fingerprint: localStackFingerprinter(stateDir),
    keyCipher: stackKeyCipher({
      endpoint: stack.endpoints.awsEndpoint,
      custodyKeyArn: stack.endpoints.outputs[STACK_OUTPUTS.keyCustodyKey]!,
    }),
  });
  simulator = simulatorControl(stack.endpoints.simulatorOrigin!);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("ops candidates, adopt-key and release-key", { timeout: 240_000 }, () => {
  let lost: string;
  let byHand: string[];

  it("lists the candidates a repair left alone, with the lost POST they may be the answer of", async () => {
    lost = await onboardLosingOnePost("cand-1");
    // Made by hand in the Developer Portal the same day: enabled, unlabeled; one of them already installed.
    byHand = (await simulator.addKeys([{}, {}])).map((k) => k.CustomerKey);
    const installed = (await simulator.addKeys([{ DateTimeAssigned: "2026-01-02 10:00:00" }]))[0]!
      .CustomerKey;
    await repair();
    for (const key of [lost, ...byHand, installed]) expect((await keyOf(key)).KeyStatus).toBe("Enabled");

    const listed = await candidates();
    expect(listed.candidates.map((c) => c.maskedKey).sort()).toEqual(
      [lost, ...byHand].map((k) => mask(k)).sort(),
    );
    for (const candidate of listed.candidates) {
      expect(candidate.decision).toEqual({ kind: "undecided" });
      expect(candidate.attempts).toEqual([{ practiceId: "cand-1", executionName: expect.any(String) }]);
      expect(candidate.dateCreated).toMatch(/^\d{4}-\d{2}-\d{2}/);
    }
    const text = await ops("candidates");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(mask(lost));
    expect(text.stdout).toContain("undecided");
    expect(text.stdout).toContain("adopt-key '<KEY>' --practice <practiceId>");
  });

  it("refuses a full key, a malformed one and the operator's role, writing nothing", async () => {
    const full = await ops(...KEY_ADMINISTRATOR, "adopt-key", byHand[0]!, "--practice", "cand-1");
    expect(full.code).toBe(2);
    expect(full.stderr).toContain("never put a key on the command line");
    expect(full.stderr + full.stdout).not.toContain(byHand[0]!);
    const malformed = await ops(...KEY_ADMINISTRATOR, "release-key", "ABCD-WXYZ", "--reason", "x");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("<maskedKey> must be the masked form");
    const noReason = await ops(...KEY_ADMINISTRATOR, "release-key", mask(byHand[0]!));
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--reason");
    const asOperator = await ops("release-key", mask(byHand[0]!), "--reason", "made by hand");
    expect(asOperator.code).toBe(1);
    expect(asOperator.stderr).toContain("KeyAdministratorPolicy");
    const unknown = await ops(...KEY_ADMINISTRATOR, "adopt-key", "...ZZZZ #000000", "--practice", "cand-1");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("lists no candidate …ZZZZ #000000");
    // The old form showed 8 characters of the key: refused, naming the form to give instead.
    const oldForm = `${byHand[0]!.slice(0, 4)}…${byHand[0]!.slice(-4)}`;
    const old = await ops(...KEY_ADMINISTRATOR, "adopt-key", oldForm, "--practice", "cand-1");
    expect(old.code).toBe(2);
    expect(old.stderr).toContain("old form");
    expect(old.stderr).toContain("…W2HD #3f9a1c");
    expect((await candidates()).candidates.every((c) => c.decision.kind === "undecided")).toBe(true);
  });

  it("releases a hand-made key once (a second release changes nothing) and then refuses to adopt it", async () => {
    const masked = mask(byHand[0]!);
    // Three dots for keyboards without an ellipsis.
    const dotted = masked.replace("…", "...");
    const first = await ops(
      ...KEY_ADMINISTRATOR,
      "release-key",
      dotted,
      "--reason",
      "made by hand for the lab",
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${masked} released as not ours`);
    // The fingerprint alone names it too, as an operator may copy it from the portal screen's neighbour.
    const fingerprintOnly = `#${masked.split(" #")[1]}`;
    const again = await ops(...KEY_ADMINISTRATOR, "release-key", fingerprintOnly, "--reason", "again");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already released");
    const adopt = await ops(...KEY_ADMINISTRATOR, "adopt-key", masked, "--practice", "cand-1");
    expect(adopt.code).toBe(1);
    expect(adopt.stderr).toContain("was released as not ours");
    const shown = (await candidates()).candidates.find((c) => c.maskedKey === masked)!;
    expect(shown.decision).toMatchObject({ kind: "released", reason: "made by hand for the lab" });
  });

  it("adopts the lost key for its practice once, refuses another practice and a release of it", async () => {
    const masked = mask(lost);
    const elsewhere = await ops(...KEY_ADMINISTRATOR, "adopt-key", masked, "--practice", "someone-else");
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain("is not dated near a lost POST of someone-else");
    const adopt = await ops(...KEY_ADMINISTRATOR, "--json", "adopt-key", masked, "--practice", "cand-1");
    expect(adopt.code, adopt.stderr).toBe(0);
    expect(JSON.parse(adopt.stdout)).toMatchObject({
      command: "adopt-key",
      outcome: "adopted",
      attemptResolved: true,
      practiceId: "cand-1",
    });
    const again = await ops(...KEY_ADMINISTRATOR, "adopt-key", masked, "--practice", "cand-1");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already adopted");
    const release = await ops(...KEY_ADMINISTRATOR, "release-key", masked, "--reason", "oops");
    expect(release.code).toBe(1);
    expect(release.stderr).toContain("cannot be released");
    expect(await store.getKeyOwner(await store.fingerprint(lost))).toMatchObject({
      practiceId: "cand-1",
      origin: "operator-adopted",
    });
    const audit = await listAudit({ client, tableName }, "cand-1");
    expect(audit.filter((e) => e.action === "LOST_KEY_ADOPTED")).toHaveLength(1);
  });

  it("the next repair disables the adopted key and leaves every hand-made key as it was", async () => {
    await repair();
    expect((await keyOf(lost)).KeyStatus).toBe("DisabledByDeveloper");
    for (const key of byHand) {
      const now = await keyOf(key);
      expect({ status: now.KeyStatus, writes: now.history }).toEqual({
        status: "Enabled",
        writes: [],
      });
    }
    // The attempt is accounted for: nothing is a candidate any more.
    expect((await candidates()).candidates).toEqual([]);
  });

  it("after a release, the one candidate left per lost POST is adopted and disabled by the repair itself", async () => {
    const lostAgain = await onboardLosingOnePost("cand-2");
    await repair(); // the lost key and the undecided hand-made key: two candidates for one lost POST
    expect((await keyOf(lostAgain)).KeyStatus).toBe("Enabled");
    const listed = await candidates();
    expect(listed.candidates.map((c) => c.maskedKey).sort()).toEqual(
      [lostAgain, byHand[1]!].map((k) => mask(k)).sort(),
    );
    const release = await ops(...KEY_ADMINISTRATOR, "release-key", mask(byHand[1]!), "--reason", "by hand");
    expect(release.code, release.stderr).toBe(0);
    await repair();
    expect((await keyOf(lostAgain)).KeyStatus).toBe("DisabledByDeveloper");
    for (const key of byHand) expect((await keyOf(key)).KeyStatus).toBe("Enabled");
  });

  it("never prints a full key", () => {
    const keys = [lost, ...byHand];
    for (const run of outputs) for (const key of keys) expect(run.stdout + run.stderr).not.toContain(key);
  });
});
