// Each entry point, with the one grant it needs removed from the template, fails on the local stack as it would
// on AWS: the webhook answers 5xx and the stack logs the denied action; the schedule's refused start goes to its
// dead-letter queue; ops exits 1 naming the missing permission. (On the template before this change the webhook
// role had no kms:GenerateDataKey at all: the first test is that template's behaviour.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type App, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../lib/build-app.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../../local/local-stack.js";
import { runOpsLocal } from "../../../local/run-ops.js";
import { sendCrmDelivery } from "../../../local/signed-webhook.js";

interface Removal {
  /** Part of the construct path of the policy (e.g. `CrmWebhook/Handler`). */
  readonly pathPart: string;
  readonly action: string;
  /** Only statements whose condition mentions this (e.g. the state machine's encryption context). */
  readonly conditionMentions?: string;
}

/** Builds the app, then drops from the policies under `pathPart` the statements granting `action`. */
function withoutGrant(build: (app: App) => unknown, removals: readonly Removal[]) {
  return (app: App) => {
    const built = build(app);
    const visit = (construct: IConstruct) => {
      for (const { pathPart, action, conditionMentions } of removals) {
        if (!construct.node.path.includes(pathPart)) continue;
        if (!(construct instanceof iam.CfnPolicy || construct instanceof iam.CfnManagedPolicy)) continue;
        const document = Stack.of(construct).resolve(construct.policyDocument) as {
          Statement: { Action: string | string[]; Condition?: unknown }[];
        };
        const grants = (statement: (typeof document.Statement)[number]) =>
          [statement.Action].flat().includes(action) &&
          (conditionMentions === undefined ||
            JSON.stringify(statement.Condition ?? {}).includes(conditionMentions));
        const kept = document.Statement.filter((statement) => !grants(statement));
        expect(kept.length, `${pathPart} grants ${action}`).toBeLessThan(document.Statement.length);
        construct.addPropertyOverride("PolicyDocument.Statement", kept);
      }
      construct.node.children.forEach(visit);
    };
    visit(app);
    return built;
  };
}

let stack: LocalStack;
let stateDir: string;
const log: string[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "missing-grants-"));
  stack = await startLocalStack({
    config: { port: 0, portalMaxRps: 20 },
    stateDir,
    retryIntervalOverrides: 20,
    reconcileEveryMs: 400,
    buildApp: withoutGrant(buildApp, [
      { pathPart: "CrmWebhook/Handler", action: "kms:GenerateDataKey" },
      {
        pathPart: "ReconciliationSchedule/Role",
        action: "kms:GenerateDataKey",
        conditionMentions: "aws:states:stateMachineArn",
      },
      { pathPart: "Operators/Policy", action: "states:ListExecutions" },
    ]),
    log: (line) => log.push(line),
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("a missing grant fails on the local stack as on AWS", () => {
  // The grant holds kms:Decrypt and kms:GenerateDataKey; the webhook's first call on the execution (a describe, to
  // recognise a redelivery) already needs the key, so the refusal names kms:Decrypt or kms:GenerateDataKey.
  it("webhook without its onboarding key grant: 500, and the log names the denied action", async () => {
    const delivery = await sendCrmDelivery(
      stack.endpoints.outputs[STACK_OUTPUTS.webhookUrl]!,
      stack.webhookSecret,
      {
        practiceId: "practice-denied",
        devRefId: "Denied Dental",
      },
    );
    expect(delivery.status).toBe(500);
    expect(log).toContainEqual(
      expect.stringMatching(
        /^IAM: denied kms:(Decrypt|GenerateDataKey) on arn:aws:kms:.*key\/.* to CrmWebhookHandlerFunctionServiceRole.*\(KmsAccessDeniedException\)$/,
      ),
    );
    expect(
      (
        await stack.engine.listExecutions({
          stateMachineArn: stack.endpoints.outputs[STACK_OUTPUTS.onboarding]!,
        })
      ).executions,
    ).toEqual([]);
  });

  it("schedule without the reconciliation key: the start is refused and its dead letter goes to the queue", async () => {
    await expect
      .poll(() => log.find((line) => line.startsWith("Scheduled reconciliation refused")), { timeout: 5_000 })
      .toMatch(
        /^Scheduled reconciliation refused: dead letter sent to arn:aws:sqs:.*ReconciliationScheduleDeadLetterQueue.*kms:GenerateDataKey/,
      );
  });

  it("ops executions without states:ListExecutions in the operator policy: exit 1 naming the permission", async () => {
    const run = await runOpsLocal(stateDir, ["executions"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("states:ListExecutions");
  }, 60_000);

  it("ops status still reads the practice record with the operator policy's read grants", async () => {
    const run = await runOpsLocal(stateDir, ["status", "practice-unknown"]);
    expect(run.stderr).not.toContain("not authorized");
  }, 60_000);
});
