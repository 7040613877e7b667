// Each entry point, with the one grant it needs removed from the template, fails on the local stack as it would
// on AWS: the webhook answers 5xx and the stack logs the denied action; the schedule's refused start goes to its
// dead-letter queue; ops exits 1 naming the missing permission. (On the template before this change the webhook
// role had no kms:GenerateDataKey at all: the first test is that template's behaviour.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DecryptCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { type App, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_ENCRYPTION_PURPOSE } from "../../../contracts/key-custody.js";
import { buildApp } from "../../../lib/build-app.js";
import { OPERATOR_ACCESS_KEY_ID } from "../../../local/authorization/caller-identity.js";
import { LOCAL_CREDENTIALS } from "../../../local/dynamodb-local.js";
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

describe("the local stack serves KMS under the template's key policies (AWS_ENDPOINT_URL_KMS)", () => {
  const custodyKey = "alias/practice-onboarding/customer-keys";
  const context = { practiceId: "practice-1", purpose: KEY_ENCRYPTION_PURPOSE };
  const kmsAs = (accessKeyId: string) =>
    new KMSClient({
      endpoint: stack.endpoints.awsEndpoint,
      region: stack.endpoints.region,
      credentials: { accessKeyId, secretAccessKey: "local" },
      maxAttempts: 1,
    });

  it("the custody key encrypts and decrypts with its context for the account's own credentials", async () => {
    const kms = kmsAs(LOCAL_CREDENTIALS.accessKeyId);
    const plaintext = new TextEncoder().encode("not-a-real-key");
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: custodyKey, Plaintext: plaintext, EncryptionContext: context }),
    );
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    expect(new TextDecoder().decode(opened.Plaintext)).toBe("not-a-real-key");
    await expect(
      kms.send(
        new DecryptCommand({ CiphertextBlob, EncryptionContext: { ...context, practiceId: "other" } }),
      ),
    ).rejects.toMatchObject({ name: "InvalidCiphertextException" });
  });

  it("the operator policy may not use the custody key: AccessDeniedException, as the key policy delegates to IAM", async () => {
    const admin = kmsAs(LOCAL_CREDENTIALS.accessKeyId);
    const { CiphertextBlob } = await admin.send(
      new EncryptCommand({
        KeyId: custodyKey,
        Plaintext: new TextEncoder().encode("x"),
        EncryptionContext: context,
      }),
    );
    const operator = kmsAs(OPERATOR_ACCESS_KEY_ID);
    const refused = await operator
      .send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }))
      .catch((error: Error) => error);
    expect(refused).toMatchObject({ name: "AccessDeniedException" });
    expect((refused as Error).message).toContain("kms:Decrypt");
    expect(log.some((line) => line.includes("IAM: denied kms:Decrypt"))).toBe(true);
  });
});
