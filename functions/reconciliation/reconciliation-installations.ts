// The installation funnel's last step (docs/architecture.md §3: DateTimeAssigned tells whether the office
// installed its key): a key the listing saw installed is recorded on its practice, timed (KeyTimeToInstall) and
// announced (PracticeKeyInstalled) — the announcement written to the table's outbox in the installation's own
// transaction (docs/events.md "Delivery"), so it is delivered if and only if the installation is recorded.
import { createHash } from "node:crypto";
import type { OutboxMessage } from "../../contracts/domain-event-outbox.js";
import { eventMaskedKey } from "../domain-events/event-fields.js";
import { outboxMessage } from "../domain-events/outbox-message.js";
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";
import type { KeyInstallation } from "../practice/key-installation.js";
import type { InstalledKey } from "./reconciliation-classify.js";
import type { ReconciliationDeps } from "./reconciliation-deps.js";
import { silent } from "./reconciliation-deps.js";

/**
 * One event per installation of one key: `key-installed-<first 20 hex of SHA-256(practiceId, key fingerprint)>`.
 * The fingerprint, not the masked key: the masked form may change (issue 15) while the key does not.
 */
export function keyInstalledEventName(practiceId: string, keyFingerprint: KeyFingerprint): string {
  const hash = createHash("sha256").update(`${practiceId}\n${keyFingerprint}`).digest("hex");
  return `key-installed-${hash.slice(0, 20)}`;
}

/** PracticeKeyInstalled for the installation, as the outbox records it. @throws DomainEventInvalid */
function keyInstalledMessage(seen: InstalledKey, installation: KeyInstallation): OutboxMessage {
  return outboxMessage({
    type: "PracticeKeyInstalled",
    executionName: keyInstalledEventName(seen.practiceId, seen.keyFingerprint),
    occurredAt: installation.installedAt,
    practiceId: seen.practiceId,
    devRefId: seen.devRefId,
    maskedKey: eventMaskedKey(seen.maskedKey),
    installedAt: installation.installedAt,
    assignedInPortal: installation.assignedInPortal,
    ...(seen.activatedAt ? { onboardedAt: seen.activatedAt } : {}),
  });
}

/** Records (when not yet recorded), times and announces one installed key. */
export async function noticeInstallation(
  deps: ReconciliationDeps,
  seen: InstalledKey,
  runId: string,
  now: Date,
): Promise<void> {
  if (seen.recorded) {
    // Recorded before installations were announced in their own transaction, and its publish failed then.
    await deps.runs.announceInstallation(
      {
        practiceId: seen.practiceId,
        keyFingerprint: seen.keyFingerprint,
        installedAt: seen.recorded.installedAt,
        now,
      },
      keyInstalledMessage(seen, seen.recorded),
    );
    return;
  }
  const installation = await deps.runs.recordKeyInstalled(
    {
      practiceId: seen.practiceId,
      keyFingerprint: seen.keyFingerprint,
      maskedKey: seen.maskedKey,
      assignedInPortal: seen.assignedInPortal,
      runId,
      now,
    },
    (recorded) => keyInstalledMessage(seen, recorded),
  );
  // Nothing written: the practice changed since it was read (or a retry wrote it); the next run sees it as it is.
  if (!installation) return;
  (deps.logger ?? silent).info("key installed", { practiceId: seen.practiceId, maskedKey: seen.maskedKey });
  if (seen.activatedAt) {
    deps.recordTimeToInstall?.((now.getTime() - Date.parse(seen.activatedAt)) / 1000);
  }
}
