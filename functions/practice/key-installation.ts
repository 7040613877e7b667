// The installation funnel's last step on the practice record: the office added its key in Open Dental
// (the portal's DateTimeAssigned left its sentinel, docs/architecture.md §3). Reconciliation observes it
// (key-installation-writes.ts); ops shows it. An installation belongs to one key, known by its fingerprint — not by
// its masked form, which changes (issue 15) while the key does not: a returning practice's new key is not
// installed because its old one was, and a record shown differently is not a new installation.
import type { KeyFingerprint } from "../key-custody/key-fingerprint.js";

/** What reconciliation saw of the practice's key being installed (the record's `installation`). */
export interface KeyInstallation {
  /** The key seen installed: the installation counts only while the practice holds this key. */
  readonly keyFingerprint?: KeyFingerprint;
  /**
   * Only on installations recorded before they were keyed by fingerprint: the key, masked as it was then. Such
   * an installation is the practice's current key's while the record shows the same key (see below).
   */
  readonly maskedKey?: string;
  /** When reconciliation first saw DateTimeAssigned set (ISO, UTC; at most one schedule interval late). */
  readonly installedAt: string;
  /** The portal's DateTimeAssigned, verbatim (`yyyy-MM-dd HH:mm:ss`, the portal's time zone, unstated). */
  readonly assignedInPortal: string;
  /** The reconciliation run that saw it. */
  readonly seenBy: string;
  /**
   * When PracticeKeyInstalled was written to the outbox: with the installation itself, in one transaction.
   * Absent only on an installation recorded before that (its publish failed); the next run announces it.
   */
  readonly announcedAt?: string;
}

/** The installation of the key the practice holds now, or undefined (never installed, or another key's). */
export function currentInstallation(record: {
  readonly keyFingerprint?: KeyFingerprint;
  readonly maskedKey?: string;
  readonly installation?: KeyInstallation;
}): KeyInstallation | undefined {
  const installation = record.installation;
  if (!installation) return undefined;
  if (installation.keyFingerprint)
    return installation.keyFingerprint === record.keyFingerprint ? installation : undefined;
  return installation.maskedKey && record.maskedKey && sameShownKey(installation.maskedKey, record.maskedKey)
    ? installation
    : undefined;
}

/**
 * Whether two masked forms show the same key: equal, or — across the change of form, `QJXZ…W2HD` then
 * `…W2HD #3f9a1c` — the same last four characters. Only for installations recorded without a fingerprint.
 */
function sameShownKey(a: string, b: string): boolean {
  if (a === b) return true;
  const tailA = shownTail(a);
  return tailA !== undefined && tailA === shownTail(b);
}

function shownTail(masked: string): string | undefined {
  return /…([A-Za-z0-9]{4})/.exec(masked)?.[1];
}
