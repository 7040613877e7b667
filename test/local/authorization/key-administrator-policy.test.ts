// The key administrator policy's table grants are exact: by dynamodb:LeadingKeys, the rate-limiter item may be
// updated and practice/key items put, nothing else; requests carry LeadingKeys as DynamoDB sets it (the partition key
// of the item named). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
import { beforeAll, describe, expect, it } from "vitest";
import { STACK_OUTPUTS } from "../../../contracts/stack-outputs.js";
import { keys } from "../../../contracts/table-schema.js";
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
let keyAdministrator: string;

beforeAll(() => {
  const [stack] = synthesizeTemplates(buildApp) as [SynthesizedStack];
  const tableId = Object.entries(stack.template.Resources ?? {}).find(
    ([, resource]) => resource.Type === "AWS::DynamoDB::Table",
  )?.[0] as string;
  permissions = templatePermissions([stack], { [tableId]: TABLE });
  const output = stack.template.Outputs?.[STACK_OUTPUTS.keyAdministratorPolicy];
  keyAdministrator =
    (output?.Value as { Ref?: string } | undefined)?.Ref ?? "(no key administrator policy output)";
}, 120_000);

/** The decision on one item request, as the local DynamoDB proxy builds it from the wire body. */
function allowed(operation: "PutItem" | "UpdateItem", item: Record<string, string>): boolean {
  const attributes = Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }]));
  const body = {
    TableName: TABLE,
    ...(operation === "PutItem" ? { Item: attributes } : { Key: attributes }),
  };
  const authorizer = new TemplateAuthorizer({ ...permissions, encryptionKeys: new Map() });
  return dynamoDbRequests(operation, body, (table) => permissions.partitionKeys.get(table)).every(
    (request) => authorizer.authorize({ principal: keyAdministrator, ...request }).allowed,
  );
}

describe("the key administrator policy's table grants", () => {
  it("the request carries the item's partition key as dynamodb:LeadingKeys", () => {
    const [request] = dynamoDbRequests(
      "UpdateItem",
      { TableName: TABLE, Key: { pk: { S: "RATE#portal" } } },
      () => "pk",
    );
    expect(request?.context).toEqual({ "dynamodb:LeadingKeys": ["RATE#portal"] });
  });

  it("may take a slot in the portal's rate budget, and update no other item", () => {
    expect(allowed("UpdateItem", keys.portalRateLimiter())).toBe(true);
    expect(allowed("UpdateItem", keys.practice("practice-001"))).toBe(false);
  });

  it("may put the practice, audit and key items of an import, and no other item", () => {
    expect(allowed("PutItem", keys.practice("practice-001"))).toBe(true);
    expect(allowed("PutItem", keys.audit("practice-001", "2026-01-01T00:00:00Z", "a1"))).toBe(true);
    expect(allowed("PutItem", keys.ledgerEntry("3f9a1c".padEnd(64, "0")))).toBe(true);
    expect(allowed("PutItem", keys.reconciliationRun("run-1"))).toBe(false);
    expect(allowed("PutItem", keys.portalRateLimiter())).toBe(false);
  });
});
