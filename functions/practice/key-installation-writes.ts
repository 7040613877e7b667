// Reconciliation's writes of the installation funnel (docs/architecture.md §5: practice/ is the table's one
// writer). Installation is an observation, not a transition: it moves neither `version` nor `updatedAt`, so no
// workflow's optimistic lock is disturbed, and it is written only while the practice is ACTIVE with that key.
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { keys } from "../../contracts/table-schema.js";
import { auditPut } from "./audit-trail.js";
import { tryTransaction } from "./conditional-transaction.js";
import type { KeyInstallation } from "./key-installation.js";
import type { PracticeTable } from "./practice-table.js";

export interface KeyInstalledObservation {
  readonly practiceId: string;
  /** The practice's masked key, as its record holds it. */
  readonly maskedKey: string;
  /** The portal's DateTimeAssigned, verbatim. */
  readonly assignedInPortal: string;
  readonly runId: string;
  readonly now: Date;
}

/**
 * Records that the practice's key is installed, with a KEY_INSTALLED audit entry, in one transaction — only
 * while the practice is ACTIVE, holds `maskedKey`, and has no installation of that key yet. Idempotent: a
 * repeat (a retried invocation, a later run) changes nothing and returns undefined.
 * @returns the installation written, or undefined when there was nothing to write.
 */
export async function recordKeyInstalled(
  table: PracticeTable,
  observation: KeyInstalledObservation,
): Promise<KeyInstallation | undefined> {
  const installation: KeyInstallation = {
    maskedKey: observation.maskedKey,
    installedAt: observation.now.toISOString(),
    assignedInPortal: observation.assignedInPortal,
    seenBy: observation.runId,
  };
  const written = await tryTransaction(table, [
    {
      Update: {
        TableName: table.tableName,
        Key: keys.practice(observation.practiceId),
        UpdateExpression: "SET #installation = :installation",
        ConditionExpression:
          "#status = :active AND maskedKey = :masked AND " +
          "(attribute_not_exists(#installation) OR #installation.maskedKey <> :masked)",
        ExpressionAttributeNames: { "#status": "status", "#installation": "installation" },
        ExpressionAttributeValues: {
          ":active": "ACTIVE",
          ":masked": observation.maskedKey,
          ":installation": installation,
        },
      },
    },
    auditPut(table, {
      practiceId: observation.practiceId,
      at: installation.installedAt,
      action: "KEY_INSTALLED",
      actor: "reconciler",
      details: {
        maskedKey: observation.maskedKey,
        assignedInPortal: observation.assignedInPortal,
        runId: observation.runId,
      },
    }),
  ]);
  return written ? installation : undefined;
}

/**
 * Marks the installation of `maskedKey` announced (PracticeKeyInstalled published), so later runs do not publish
 * it again. A no-op when it is already marked or the practice's installation is another key's.
 */
export async function markInstallationAnnounced(
  table: PracticeTable,
  practiceId: string,
  maskedKey: string,
  now: Date,
): Promise<void> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.practice(practiceId),
        UpdateExpression: "SET #installation.announcedAt = :now",
        ConditionExpression:
          "#installation.maskedKey = :masked AND attribute_not_exists(#installation.announcedAt)",
        ExpressionAttributeNames: { "#installation": "installation" },
        ExpressionAttributeValues: { ":masked": maskedKey, ":now": now.toISOString() },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
  }
}
