// Issue 15: a role without the custody key's kms:Decrypt reads a practice record and gets everything but the key.
// On the local stack, whose endpoints enforce the template's IAM and KMS policies (docs/architecture.md §4
// invariants 12–13): the operator (`ops --local`, the operator policy) and a function role without the grant
// read the record fine, and KMS refuses to open its `customerKey` with AccessDeniedException; the label function,
// granted Decrypt, opens it (the refusal is the policy's, not the ciphertext's).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DecryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../../contracts/table-schema.js";
import {
  isEncryptedCustomerKey,
  keyEncryptionContext,
  kmsKeyCipher,
} from "../../../functions/key-custody/key-cipher.js";
import { KeyCustodyDenied } from "../../../functions/key-custody/key-custody-errors.js";
import { buildApp } from "../../../lib/build-app.js";
import { OPERATOR_ACCESS_KEY_ID, roleAccessKeyId } from "../../../local/authorization/caller-identity.js";
import { LOCAL_CREDENTIALS } from "../../../local/dynamodb-local.js";
import { type LocalStack, STACK_OUTPUTS, startLocalStack } from "../../../local/local-stack.js";
import { runOpsLocal } from "../../../local/run-ops.js";
import { sendCrmDelivery } from "../../../local/signed-webhook.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";

const PRACTICE = "custody-001";

let stack: LocalStack;
let stateDir: string;
const log: string[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "decrypt-refused-"));
  stack = await startLocalStack({
    config: { port: 0, portalMaxRps: 20 },
    stateDir,
    retryIntervalOverrides: 20,
    log: (line) => log.push(line),
  });
  const delivery = await sendCrmDelivery(
    stack.endpoints.outputs[STACK_OUTPUTS.webhookUrl]!,
    stack.webhookSecret,
    {
      practiceId: PRACTICE,
      devRefId: "Custody Dental",
    },
  );
  const arn = (delivery.body as { executionArn: string }).executionArn;
  const ended = await stack.engine.waitForExecution(arn);
  expect(ended.status).toBe("SUCCEEDED");
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const as = (accessKeyId: string) => ({
  region: stack.endpoints.region,
  credentials: { ...LOCAL_CREDENTIALS, accessKeyId },
});

/** The practice record as `accessKeyId` reads it (GetItem through the local stack's enforcing endpoint). */
async function readRecord(accessKeyId: string): Promise<Record<string, unknown>> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...as(accessKeyId), endpoint: stack.endpoints.dynamoDbEndpoint }),
  );
  try {
    const { Item } = await client.send(
      new GetCommand({
        TableName: stack.endpoints.outputs[STACK_OUTPUTS.tableName]!,
        Key: keys.practice(PRACTICE),
      }),
    );
    return Item!;
  } finally {
    client.destroy();
  }
}

/** The role logical id of the function whose handler is `entry` (its `practice-onboarding:entry` metadata). */
function roleOf(entry: string): string {
  const [synthesized] = synthesizeTemplates(buildApp);
  for (const resource of Object.values(synthesized!.template.Resources ?? {})) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    if (resource.Metadata?.["practice-onboarding:entry"] !== entry) continue;
    const role = resource.Properties?.Role as { "Fn::GetAtt": [string, string] } | undefined;
    if (role) return role["Fn::GetAtt"][0];
  }
  throw new Error(`no function of ${entry} in the template`);
}

async function decryptAs(accessKeyId: string, stored: string): Promise<string | Error> {
  const kms = new KMSClient({ ...as(accessKeyId), endpoint: stack.endpoints.awsEndpoint, maxAttempts: 1 });
  try {
    const { Plaintext } = await kms.send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(stored.slice("kms1:".length), "base64"),
        EncryptionContext: keyEncryptionContext({ practiceId: PRACTICE }),
      }),
    );
    return new TextDecoder().decode(Plaintext);
  } catch (error) {
    return error as Error;
  } finally {
    kms.destroy();
  }
}

describe("a role without the custody key's kms:Decrypt", () => {
  it("the operator reads the whole record but its key: ops status shows it masked, KMS refuses to open it", async () => {
    const status = await runOpsLocal(stateDir, ["status", PRACTICE, "--json"]);
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout) as { practice: Record<string, unknown> };
    expect(shown.practice).toMatchObject({ practiceId: PRACTICE, status: "ACTIVE" });
    expect(shown.practice.maskedKey).toEqual(expect.any(String));
    expect(shown.practice).not.toHaveProperty("customerKey");

    const record = await readRecord(OPERATOR_ACCESS_KEY_ID);
    expect(record).toMatchObject({ practiceId: PRACTICE, status: "ACTIVE", devRefId: "Custody Dental" });
    expect(record.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
    const stored = String(record.customerKey);
    expect(isEncryptedCustomerKey(stored)).toBe(true);

    const refused = await decryptAs(OPERATOR_ACCESS_KEY_ID, stored);
    expect(refused).toMatchObject({ name: "AccessDeniedException" });
    expect(log.some((line) => line.includes("IAM: denied kms:Decrypt"))).toBe(true);
    // What the code would do with the operator's credentials: a custody error naming the practice, never the key.
    const cipher = kmsKeyCipher({
      kms: new KMSClient({
        ...as(OPERATOR_ACCESS_KEY_ID),
        endpoint: stack.endpoints.awsEndpoint,
        maxAttempts: 1,
      }),
      keyId: stack.endpoints.outputs[STACK_OUTPUTS.keyCustodyKey]!,
    });
    await expect(cipher.decrypt(stored, { practiceId: PRACTICE })).rejects.toBeInstanceOf(KeyCustodyDenied);
  });

  it("a function that reads records but sends no key (onboarding's claim step) is refused too; the label-and-record step opens it", async () => {
    const stored = String((await readRecord(LOCAL_CREDENTIALS.accessKeyId)).customerKey);
    const claimRole = roleAccessKeyId(roleOf("functions/onboarding/onboarding-claim.ts"));
    expect(await decryptAs(claimRole, stored)).toMatchObject({ name: "AccessDeniedException" });

    const labelRole = roleAccessKeyId(roleOf("functions/onboarding/onboarding-label-and-record.ts"));
    const opened = await decryptAs(labelRole, stored);
    expect(typeof opened).toBe("string");
    expect(stack.simulator!.keys().map((key) => key.CustomerKey)).toContain(opened);
  });
});
