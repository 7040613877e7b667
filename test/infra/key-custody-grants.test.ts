// Issue 15, on the synthesized template: who may encrypt and who may open a stored CustomerKey
// (docs/architecture.md §4 invariant 13). Encrypt where the plaintext arrives, Decrypt only where a key is sent to
// the portal or the office; no person's policy may Decrypt; the status index projects no key.
import { describe, expect, it } from "vitest";
import { STATUS_INDEX } from "../../contracts/table-schema.js";
import { synthesizedTemplate } from "../support/practice-table.js";
import {
  arnOf,
  functionRole,
  logicalIdOf,
  roleStatements,
  type Statement,
} from "../support/synthesized-workflow.js";

const custodyKey = () => arnOf(logicalIdOf("AWS::KMS::Key", "KeyCustody"));
const PURPOSE = { StringEquals: { "kms:EncryptionContext:purpose": "open-dental-customer-key" } };

/** The custody-key actions a set of statements allows. */
function custodyActions(statements: readonly Statement[]): string[] {
  const key = JSON.stringify(custodyKey());
  return statements
    .filter((s) => [s.Resource].flat().some((r) => JSON.stringify(r) === key || r === "*"))
    .flatMap((s) => [s.Action].flat())
    .filter((a) => a.startsWith("kms:"))
    .sort();
}

const ENCRYPTERS = [
  "functions/onboarding/onboarding-create-key.ts",
  "functions/reconciliation/reconciliation-list-keys.ts",
];
const DECRYPTERS = [
  "functions/onboarding/onboarding-label-and-record.ts",
  "functions/onboarding/onboarding-reenable-key.ts",
  "functions/onboarding/onboarding-compensate.ts",
  "functions/offboarding/offboarding-disable-key.ts",
  "functions/claim-release/release-claim.ts",
  "functions/reconciliation/reconciliation-repair.ts",
  "functions/activation/activation-page.ts",
];

function allEntries(): string[] {
  const resources = (
    synthesizedTemplate() as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
    }
  ).Resources;
  return Object.values(resources)
    .filter((r) => r.Type === "AWS::Lambda::Function")
    .map((r) => r.Metadata?.["practice-onboarding:entry"])
    .filter((entry): entry is string => typeof entry === "string");
}

function managedPolicyStatements(prefix: string): Statement[] {
  const resources = (
    synthesizedTemplate() as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    }
  ).Resources;
  const id = logicalIdOf("AWS::IAM::ManagedPolicy", prefix);
  return (resources[id]!.Properties!.PolicyDocument as { Statement: Statement[] }).Statement;
}

describe("custody key grants", () => {
  it.each(allEntries())("%s may use the custody key exactly as it handles a key", (entry) => {
    const statements = roleStatements(functionRole(entry).roleId);
    const expected = [
      ...(ENCRYPTERS.includes(entry) ? ["kms:Encrypt"] : []),
      ...(DECRYPTERS.includes(entry) ? ["kms:Decrypt"] : []),
    ];
    expect(custodyActions(statements)).toEqual(expected);
    for (const statement of statements.filter((s) => custodyActions([s]).length > 0))
      expect(statement.Condition).toEqual(PURPOSE);
  });

  it("the operator policy has no use of the custody key; the key administrator's may only encrypt", () => {
    expect(custodyActions(managedPolicyStatements("OperatorsPolicy"))).toEqual([]);
    const administrator = managedPolicyStatements("KeyAdministratorsPolicy");
    expect(custodyActions(administrator)).toEqual(["kms:Encrypt"]);
    expect(administrator.find((s) => custodyActions([s]).length > 0)).toMatchObject({
      Sid: "EncryptCustomerKeysForTheTable",
      Condition: PURPOSE,
    });
  });

  it("the status index projects the attributes its readers use, never a key or its ciphertext", () => {
    const table = Object.values(
      (
        synthesizedTemplate() as {
          Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
        }
      ).Resources,
    ).find((r) => r.Type === "AWS::DynamoDB::Table")!;
    const indexes = table.Properties!.GlobalSecondaryIndexes as {
      IndexName: string;
      Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
    }[];
    expect(indexes.map((i) => i.IndexName)).toEqual([STATUS_INDEX]);
    const [index] = indexes;
    expect(index!.Projection.ProjectionType).toBe("INCLUDE");
    expect(index!.Projection.NonKeyAttributes).toEqual(
      expect.arrayContaining(["status", "maskedKey", "keyFingerprint", "devRefId", "runId", "executionName"]),
    );
    expect(index!.Projection.NonKeyAttributes).not.toContain("customerKey");
    expect(index!.Projection.NonKeyAttributes).not.toContain("previousCustomerKey");
  });
});
