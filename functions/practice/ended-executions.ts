// The claim release's word that an execution has ended (docs/architecture.md §1). A stop can land while the claim
// Lambda is in flight; that invocation runs on and may write its claim after the release has looked. So the
// release first records the execution as ended, then looks: every claim transaction checks that record, and
// DynamoDB orders the two writes — a claim that commits first is seen (and released), one that commits after is
// refused (ExecutionEnded).
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { keys, PK, TTL_ATTRIBUTE } from "../../contracts/table-schema.js";
import { ExecutionEnded } from "../platform/errors.js";
import type { TransactItems } from "./conditional-transaction.js";
import type { PracticeTable } from "./practice-table.js";

export type ClaimingWorkflow = "onboarding" | "offboarding";

/** Past a claim Lambda's 30 s timeout many times over; DynamoDB removes the item after it. */
const ENDED_RECORD_DAYS = 1;

/** Records that `executionName` of `workflow` has ended. Repeating it is harmless. */
export async function recordExecutionEnded(
  table: PracticeTable,
  workflow: ClaimingWorkflow,
  executionName: string,
  now = new Date(),
): Promise<void> {
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...keys.endedExecution(workflow, executionName),
        endedAt: now.toISOString(),
        [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + ENDED_RECORD_DAYS * 86_400,
      },
    }),
  );
}

/**
 * The condition every claim transaction carries, and onboarding's ACTIVE record (written by the invocation that
 * labels, so it may run on after a stop): its execution has not been recorded as ended.
 */
export function notEndedCheck(
  table: PracticeTable,
  workflow: ClaimingWorkflow,
  executionName: string,
): TransactItems[number] {
  return {
    ConditionCheck: {
      TableName: table.tableName,
      Key: keys.endedExecution(workflow, executionName),
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": PK },
    },
  };
}

/**
 * After a claim transaction's condition failed: throws ExecutionEnded when the reason is that its execution ended
 * (nothing was written); otherwise the practice changed under it and the caller decides again.
 */
export async function refuseIfEnded(
  table: PracticeTable,
  workflow: ClaimingWorkflow,
  executionName: string,
  practiceId: string,
  /** What was refused, for the message. @default "claim" */
  write = "claim",
): Promise<void> {
  const { Item } = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: keys.endedExecution(workflow, executionName),
      ConsistentRead: true,
    }),
  );
  if (Item) {
    throw new ExecutionEnded(
      `execution ${executionName} ended before its ${write} of practice ${practiceId} was written; nothing changed`,
    );
  }
}
