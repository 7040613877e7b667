// The installation funnel's last step on the practice record: the office added its key in Open Dental
// (the portal's DateTimeAssigned left its sentinel, docs/architecture.md §3). Reconciliation observes it
// (key-installation-writes.ts); ops shows it. An installation belongs to one key: a returning practice's new key
// is not installed because its old one was.

/** What reconciliation saw of the practice's key being installed (the record's `installation`). */
export interface KeyInstallation {
  /** The key seen installed, masked: the installation counts only while the practice holds this key. */
  readonly maskedKey: string;
  /** When reconciliation first saw DateTimeAssigned set (ISO, UTC; at most one schedule interval late). */
  readonly installedAt: string;
  /** The portal's DateTimeAssigned, verbatim (`yyyy-MM-dd HH:mm:ss`, the portal's time zone, unstated). */
  readonly assignedInPortal: string;
  /** The reconciliation run that saw it. */
  readonly seenBy: string;
  /** When PracticeKeyInstalled was published; absent until then (the next run publishes it). */
  readonly announcedAt?: string;
}

/** The installation of the key the practice holds now, or undefined (never installed, or another key's). */
export function currentInstallation(record: {
  readonly maskedKey?: string;
  readonly installation?: KeyInstallation;
}): KeyInstallation | undefined {
  const installation = record.installation;
  return installation && record.maskedKey && installation.maskedKey === record.maskedKey
    ? installation
    : undefined;
}
