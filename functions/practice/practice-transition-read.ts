// The one read the CRM webhook makes of the table: a practice's status and the time of its last transition,
// so it can answer a stale request "stale" at once (request-order.ts). It projects those attributes only: the
// webhook never reads a key, and its IAM grant allows no other attribute (lib/webhook-api.ts).
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { keys, PK, PRACTICE_TRANSITION_ATTRIBUTES, SK } from "../../contracts/table-schema.js";
import { lastTransitionOf } from "./request-order.js";

const TRANSITION_READ_ATTRIBUTES = PRACTICE_TRANSITION_ATTRIBUTES;

export interface PracticeTransition {
  readonly status: string;
  /** Absent on a record never changed since before the ordering rule and without outcome times. */
  readonly lastTransitionAt?: string;
}

/**
 * A reader of practice transitions on `tableName`, its low-level client built on first use (the document
 * client's marshalling is not needed for five strings, and the webhook's bundle stays small).
 */
export function createPracticeTransitionReader(
  tableName: string,
): (practiceId: string) => Promise<PracticeTransition | undefined> {
  let client: DynamoDBClient | undefined;
  return async (practiceId) => {
    client ??= new DynamoDBClient({});
    const key = keys.practice(practiceId);
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { [PK]: { S: key[PK]! }, [SK]: { S: key[SK]! } },
        ProjectionExpression: TRANSITION_READ_ATTRIBUTES.map((_, i) => `#a${i}`).join(", "),
        ExpressionAttributeNames: Object.fromEntries(
          TRANSITION_READ_ATTRIBUTES.map((name, i) => [`#a${i}`, name]),
        ),
        ConsistentRead: true,
      }),
    );
    if (!Item?.status?.S) return undefined;
    const text = (name: string) => Item[name]?.S;
    const lastTransitionAt = lastTransitionOf({
      lastTransitionAt: text("lastTransitionAt"),
      activatedAt: text("activatedAt"),
      failedAt: text("failedAt"),
      offboardedAt: text("offboardedAt"),
    });
    return { status: Item.status.S, ...(lastTransitionAt ? { lastTransitionAt } : {}) };
  };
}
