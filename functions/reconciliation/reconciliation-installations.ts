// The installation funnel's last step (docs/architecture.md §3: DateTimeAssigned tells whether the office
// installed its key): a key the listing saw installed is recorded on its practice, timed (KeyTimeToInstall) and
// announced (PracticeKeyInstalled) — at least once: the announcement is marked on the record after it is
// published, so a failed publish is retried by the retried invocation or the next run, under the same eventId.
import { createHash } from "node:crypto";
import type { DomainEventInput } from "../domain-events/domain-events.js";
import { eventMaskedKey } from "../domain-events/event-fields.js";
import type { InstalledKey } from "./reconciliation-classify.js";
import type { ReconciliationDeps } from "./reconciliation-deps.js";
import { silent } from "./reconciliation-deps.js";

/** One event per installation of one key: `key-installed-<first 20 hex of SHA-256(practiceId, masked key)>`. */
export function keyInstalledEventName(practiceId: string, maskedKey: string): string {
  const hash = createHash("sha256").update(`${practiceId}\n${maskedKey}`).digest("hex");
  return `key-installed-${hash.slice(0, 20)}`;
}

/** Records (when not yet recorded), times and announces one installed key. */
export async function noticeInstallation(
  deps: ReconciliationDeps,
  seen: InstalledKey,
  runId: string,
  now: Date,
): Promise<void> {
  let installation = seen.recorded;
  if (!installation) {
    installation = await deps.runs.recordKeyInstalled({
      practiceId: seen.practiceId,
      maskedKey: seen.maskedKey,
      assignedInPortal: seen.assignedInPortal,
      runId,
      now,
    });
    // Nothing written: the practice changed since it was read (or a retry wrote it); the next run sees it as it is.
    if (!installation) return;
    (deps.logger ?? silent).info("key installed", {
      practiceId: seen.practiceId,
      maskedKey: seen.maskedKey,
    });
    if (seen.activatedAt) {
      deps.recordTimeToInstall?.((now.getTime() - Date.parse(seen.activatedAt)) / 1000);
    }
  }
  if (!deps.publishEvent) return;
  const event: DomainEventInput = {
    type: "PracticeKeyInstalled",
    executionName: keyInstalledEventName(seen.practiceId, seen.maskedKey),
    occurredAt: installation.installedAt,
    practiceId: seen.practiceId,
    devRefId: seen.devRefId,
    maskedKey: eventMaskedKey(seen.maskedKey),
    installedAt: installation.installedAt,
    assignedInPortal: installation.assignedInPortal,
    ...(seen.activatedAt ? { onboardedAt: seen.activatedAt } : {}),
  };
  await deps.publishEvent(event);
  await deps.runs.markInstallationAnnounced(seen.practiceId, seen.maskedKey, now);
}
