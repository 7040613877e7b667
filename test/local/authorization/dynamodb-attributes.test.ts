// The CRM webhook's table grant allows one thing: a GetItem of a practice record projected to its status and
// transition times, never the key (lib/webhook-api.ts). AWS enforces that with dynamodb:Attributes — the attribute
// names a request names (its Key and its projection) — and dynamodb:Select, which a read always has: the Select
// parameter, or ALL_ATTRIBUTES when the request names no attributes to project. So AWS refuses a GetItem without a
// projection, or projecting any other attribute; the local stack must refuse them too.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_dynamodb_attributes.html
import { beforeAll, describe, expect, it } from "vitest";
import { keys, PK, PRACTICE_TRANSITION_ATTRIBUTES, SK } from "../../../contracts/table-schema.js";
import { buildApp } from "../../../lib/build-app.js";
import { TemplateAuthorizer } from "../../../local/authorization/authorizer.js";
import { dynamoDbRequests } from "../../../local/authorization/service-requests.js";
import {
  type TemplatePermissions,
  templatePermissions,
} from "../../../local/authorization/template-permissions.js";
import type { SynthesizedStack } from "../../../local/cloudformation-template.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";

const TABLE = "PracticeOnboarding-Practices";
let permissions: TemplatePermissions;
let webhookRole: string;

beforeAll(() => {
  const [stack] = synthesizeTemplates(buildApp) as [SynthesizedStack];
  const tableId = Object.entries(stack.template.Resources ?? {}).find(
    ([, resource]) => resource.Type === "AWS::DynamoDB::Table",
  )?.[0] as string;
  permissions = templatePermissions([stack], { [tableId]: TABLE });
  webhookRole =
    [...permissions.functionRoles.entries()].find(([fn]) => fn.startsWith("CrmWebhookHandler"))?.[1] ??
    "(no CRM webhook function)";
}, 120_000);

const practiceKey = () => {
  const key = keys.practice("practice-001");
  return { [PK]: { S: key[PK]! }, [SK]: { S: key[SK]! } };
};

const projecting = (attributes: readonly string[]) => ({
  ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(", "),
  ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])),
});

/** The decision on a request body, as the local DynamoDB proxy builds it from the wire. */
function allowed(operation: string, body: Record<string, unknown>): boolean {
  const authorizer = new TemplateAuthorizer({ ...permissions, encryptionKeys: new Map() });
  return dynamoDbRequests(operation, { TableName: TABLE, ...body }, (table) =>
    permissions.partitionKeys.get(table),
  ).every((request) => authorizer.authorize({ principal: webhookRole, ...request }).allowed);
}

describe("dynamodb:Attributes and dynamodb:Select of a read", () => {
  it("a GetItem names its key and projected attributes (expression names resolved), and SPECIFIC_ATTRIBUTES", () => {
    const [request] = dynamoDbRequests(
      "GetItem",
      { TableName: TABLE, Key: practiceKey(), ...projecting(["status", "lastTransitionAt"]) },
      () => PK,
    );
    expect(request?.context?.["dynamodb:Attributes"]).toEqual([PK, SK, "status", "lastTransitionAt"]);
    expect(request?.context?.["dynamodb:Select"]).toBe("SPECIFIC_ATTRIBUTES");
  });

  it("a GetItem without a projection reads ALL_ATTRIBUTES", () => {
    const [request] = dynamoDbRequests("GetItem", { TableName: TABLE, Key: practiceKey() }, () => PK);
    expect(request?.context?.["dynamodb:Select"]).toBe("ALL_ATTRIBUTES");
  });

  it("a projection's nested paths name their top-level attribute", () => {
    const [request] = dynamoDbRequests(
      "GetItem",
      {
        TableName: TABLE,
        Key: practiceKey(),
        ProjectionExpression: "#m.inner, tags[0], status",
        ExpressionAttributeNames: { "#m": "meta" },
      },
      () => PK,
    );
    expect(request?.context?.["dynamodb:Attributes"]).toEqual([PK, SK, "meta", "tags", "status"]);
  });
});

describe("the CRM webhook's GetItem grant", () => {
  it("allows the read it makes: a practice's status and transition times", () => {
    expect(allowed("GetItem", { Key: practiceKey(), ...projecting(PRACTICE_TRANSITION_ATTRIBUTES) })).toBe(
      true,
    );
  });

  it("refuses a GetItem without a projection (the whole record, its key included)", () => {
    expect(allowed("GetItem", { Key: practiceKey() })).toBe(false);
  });

  it("refuses a GetItem projecting an attribute outside the grant", () => {
    expect(allowed("GetItem", { Key: practiceKey(), ...projecting(["status", "customerKey"]) })).toBe(false);
  });
});
