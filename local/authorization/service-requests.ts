// What IAM sees of a request to the local endpoints: the action(s) and resource ARN(s) it is authorized against.
// Step Functions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
// DynamoDB: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
//   (a batch or transaction is authorized item by item, with each item's table and action).
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "../fake-aws.js";

export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys the service sets for this request (e.g. `dynamodb:LeadingKeys`). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

type Body = Record<string, unknown>;

const text = (body: Body, field: string) => (typeof body[field] === "string" ? (body[field] as string) : "");

export function stepFunctionsRequests(operation: string, body: Body): IamRequest[] {
  const action = `states:${operation}`;
  switch (operation) {
    case "StartExecution":
    case "StartSyncExecution":
    case "ListExecutions":
    case "DescribeStateMachine":
      return [{ action, resource: text(body, "stateMachineArn") }];
    case "DescribeExecution":
    case "GetExecutionHistory":
    case "StopExecution":
    case "DescribeStateMachineForExecution":
      return [{ action, resource: text(body, "executionArn") }];
    default:
      return [{ action, resource: "*" }];
  }
}

/** `secretArnOf` turns a SecretId (name or ARN) into the secret's ARN, as IAM sees it. */
export function secretsManagerRequests(
  operation: string,
  body: Body,
  secretArnOf: (secretId: string) => string,
): IamRequest[] {
  const secretId = text(body, "SecretId");
  return [{ action: `secretsmanager:${operation}`, resource: secretId ? secretArnOf(secretId) : "*" }];
}

export function dynamoDbTableArn(tableName: string): string {
  return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${tableName}`;
}

/** A table's partition key attribute by the table's ARN (from the template), for `dynamodb:LeadingKeys`. */
export type PartitionKeyOf = (tableArn: string) => string | undefined;

/**
 * `dynamodb:LeadingKeys` of a single-item request: the partition key value of its `Key` (GetItem, UpdateItem,
 * DeleteItem, ConditionCheck) or `Item` (PutItem). Query, Scan and the batch operations get none here, so a
 * `ForAllValues` condition on it holds for them vacuously: no policy of the template grants those with one.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 */
function leadingKeys(body: Body, attribute: string | undefined): Record<string, string[]> {
  const item = (body.Key ?? body.Item) as Record<string, { S?: unknown; N?: unknown }> | undefined;
  const value = attribute ? (item?.[attribute]?.S ?? item?.[attribute]?.N) : undefined;
  return typeof value === "string" ? { "dynamodb:LeadingKeys": [value] } : {};
}

/** The top-level attribute names a projection names (`#n` resolved, nested paths by their first element). */
function projectedAttributes(body: Body): string[] | undefined {
  if (Array.isArray(body.AttributesToGet)) return (body.AttributesToGet as unknown[]).map(String);
  const projection = text(body, "ProjectionExpression");
  if (!projection) return undefined;
  const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
  return projection
    .split(",")
    .map((path) => path.trim().split(/[.[]/)[0]!.trim())
    .filter((name) => name !== "")
    .map((name) => (name.startsWith("#") ? (names[name] ?? name) : name));
}

const READS_WITH_SELECT = new Set(["GetItem", "BatchGetItem", "Query", "Scan"]);

/**
 * `dynamodb:Select` and `dynamodb:Attributes` of a read. A read always has a Select: the request's, else
 * SPECIFIC_ATTRIBUTES when it projects, else ALL_ATTRIBUTES (ALL_PROJECTED_ATTRIBUTES for an index, as the API
 * defaults). Attributes are the names the request gives: its Key's and its projection's. Condition, filter and key
 * condition expressions are not parsed: no policy of the template conditions those actions on dynamodb:Attributes.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 */
function readAttributes(action: string, body: Body, index: boolean): Record<string, string | string[]> {
  if (!READS_WITH_SELECT.has(action)) return {};
  const projected = projectedAttributes(body);
  const select =
    text(body, "Select") ||
    (projected ? "SPECIFIC_ATTRIBUTES" : index ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES");
  const named = [...Object.keys((body.Key as Body | undefined) ?? {}), ...(projected ?? [])];
  return {
    "dynamodb:Select": select,
    ...(named.length ? { "dynamodb:Attributes": [...new Set(named)] } : {}),
  };
}

function onTable(action: string, body: Body, partitionKeyOf?: PartitionKeyOf): IamRequest {
  const table = dynamoDbTableArn(text(body, "TableName"));
  const index = text(body, "IndexName");
  if (index)
    return {
      action: `dynamodb:${action}`,
      resource: `${table}/index/${index}`,
      context: readAttributes(action, body, true),
    };
  const context = { ...leadingKeys(body, partitionKeyOf?.(table)), ...readAttributes(action, body, false) };
  return {
    action: `dynamodb:${action}`,
    resource: table,
    ...(Object.keys(context).length ? { context } : {}),
  };
}

const TRANSACT_WRITE_ACTIONS: Record<string, string> = {
  Put: "PutItem",
  Update: "UpdateItem",
  Delete: "DeleteItem",
  ConditionCheck: "ConditionCheckItem",
};

export function dynamoDbRequests(
  operation: string,
  body: Body,
  partitionKeyOf?: PartitionKeyOf,
): IamRequest[] {
  switch (operation) {
    case "BatchGetItem":
      return Object.entries((body.RequestItems as Record<string, Body>) ?? {}).map(([table, items]) => {
        const keyNames = ((items.Keys as Body[] | undefined) ?? []).flatMap((key) => Object.keys(key));
        const read = readAttributes("BatchGetItem", { ...items, Key: undefined }, false);
        const named = [...keyNames, ...((read["dynamodb:Attributes"] as string[] | undefined) ?? [])];
        return {
          action: "dynamodb:BatchGetItem",
          resource: dynamoDbTableArn(table),
          context: { ...read, ...(named.length ? { "dynamodb:Attributes": [...new Set(named)] } : {}) },
        };
      });
    case "BatchWriteItem":
      return Object.keys((body.RequestItems as Body) ?? {}).map((table) => ({
        action: "dynamodb:BatchWriteItem",
        resource: dynamoDbTableArn(table),
      }));
    case "TransactWriteItems":
      return ((body.TransactItems as Body[]) ?? []).flatMap((item) =>
        Object.entries(item).map(([kind, operationBody]) =>
          onTable(TRANSACT_WRITE_ACTIONS[kind] ?? kind, operationBody as Body, partitionKeyOf),
        ),
      );
    case "TransactGetItems":
      // Each Get is authorized as a GetItem, with that Get's key and projection.
      return ((body.TransactItems as Body[]) ?? []).map((item) =>
        onTable("GetItem", (item.Get as Body) ?? {}, partitionKeyOf),
      );
    case "ListTables":
      return [{ action: "dynamodb:ListTables", resource: "*" }];
    default:
      return [onTable(operation, body, partitionKeyOf)];
  }
}

/**
 * EventBridge's PutEvents, authorized entry by entry against each entry's bus (a name or an ARN; no name is the
 * default bus). https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
 */
export function eventBridgeRequests(operation: string, body: Body): IamRequest[] {
  const busArn = (nameOrArn: string) =>
    nameOrArn.startsWith("arn:")
      ? nameOrArn
      : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${nameOrArn || "default"}`;
  if (operation !== "PutEvents") return [{ action: `events:${operation}`, resource: "*" }];
  const entries = Array.isArray(body.Entries) ? (body.Entries as Body[]) : [];
  return entries.map((entry) => ({
    action: "events:PutEvents",
    resource: busArn(text(entry, "EventBusName")),
  }));
}
