// Reconciliation's writes of the installation funnel (docs/architecture.md §5: practice/ is the table's one
// writer). Installation is an observation, not a transition: it moves neither `version` nor `updatedAt`, so no
// workflow's optimistic lock is disturbed, and it is written only while the practice is ACTIVE with that key.
// Its PracticeKeyInstalled is written to the outbox in the same transaction (docs/events.md "Delivery"): an
// installation is announced if and only if it is recorded.
import type { OutboxMessage } from "../../contracts/domain-event-outbox.js";
import { keys } from "../../contracts/table-schema.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import { auditPut } from "./audit-trail.js";
import { tryTransaction } from "./conditional-transaction.js";
import type { KeyInstallation } from "./key-installation.js";
import { outboxPut } from "./outbox-writes.js";
import type { PracticeTable } from "./practice-table.js";

export interface KeyInstalledObservation {
  readonly practiceId: string;
  /** The practice's key, as its record holds it: what the installation is bound to. */
  readonly keyFingerprint: KeyFingerprint;
  /** The practice's masked key, for the audit entry. */
  readonly maskedKey: string;
  /** The portal's DateTimeAssigned, verbatim. */
  readonly assignedInPortal: string;
  readonly runId: string;
  readonly now: Date;
}

/**
 * Records that the practice's key is installed, with a KEY_INSTALLED audit entry and the event `announce` builds
 * from the installation, in one transaction — only while the practice is ACTIVE, holds that key, and has no
 * installation of that key yet. Idempotent: a repeat (a retried invocation, a later run) changes nothing and
 * returns undefined.
 * @returns the installation written, or undefined when there was nothing to write.
 */
export async function recordKeyInstalled(
  table: PracticeTable,
  observation: KeyInstalledObservation,
  announce: (installation: KeyInstallation) => OutboxMessage,
): Promise<KeyInstallation | undefined> {
  const at = observation.now.toISOString();
  const installation: KeyInstallation = {
    keyFingerprint: observation.keyFingerprint,
    installedAt: at,
    assignedInPortal: observation.assignedInPortal,
    seenBy: observation.runId,
    announcedAt: at,
  };
  const written = await tryTransaction(table, [
    whileActiveWithKey(
      table,
      observation,
      "SET #installation = :installation",
      // NOT (… = …): true when the recorded installation has no fingerprint (recorded before it had one).
      "attribute_not_exists(#installation) OR NOT (#installation.keyFingerprint = :fingerprint)",
      { ":installation": installation },
    ),
    auditPut(table, {
      practiceId: observation.practiceId,
      at,
      action: "KEY_INSTALLED",
      actor: "reconciler",
      details: {
        maskedKey: observation.maskedKey,
        assignedInPortal: observation.assignedInPortal,
        runId: observation.runId,
      },
    }),
    outboxPut(table, announce(installation), observation.now),
  ]);
  return written ? installation : undefined;
}

/**
 * Announces an installation recorded before installations were announced in their own transaction (its publish
 * failed then): writes its event and marks it announced, together, while the practice is ACTIVE with that key and
 * the installation (known by `installedAt`) is still unannounced. Gives it the key's fingerprint if it had none.
 * @returns whether it was announced now (false: announced already, or the practice changed since it was read).
 */
export async function announceInstallation(
  table: PracticeTable,
  recorded: {
    readonly practiceId: string;
    readonly keyFingerprint: KeyFingerprint;
    readonly installedAt: string;
    readonly now: Date;
  },
  message: OutboxMessage,
): Promise<boolean> {
  return tryTransaction(table, [
    whileActiveWithKey(
      table,
      recorded,
      "SET #installation.announcedAt = :now, #installation.keyFingerprint = :fingerprint",
      "#installation.installedAt = :installedAt AND attribute_not_exists(#installation.announcedAt)",
      { ":installedAt": recorded.installedAt, ":now": recorded.now.toISOString() },
    ),
    outboxPut(table, message, recorded.now),
  ]);
}

/** An update of the practice's `installation`, only while it is ACTIVE with the key and `condition` holds. */
function whileActiveWithKey(
  table: PracticeTable,
  practice: { readonly practiceId: string; readonly keyFingerprint: KeyFingerprint },
  update: string,
  condition: string,
  values: Record<string, unknown>,
) {
  return {
    Update: {
      TableName: table.tableName,
      Key: keys.practice(practice.practiceId),
      UpdateExpression: update,
      ConditionExpression: `#status = :active AND keyFingerprint = :fingerprint AND (${condition})`,
      ExpressionAttributeNames: { "#status": "status", "#installation": "installation" },
      ExpressionAttributeValues: { ":active": "ACTIVE", ":fingerprint": practice.keyFingerprint, ...values },
    },
  };
}
