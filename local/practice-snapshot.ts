// One row per practice joining the table (status, masked key) with the portal (key status, label), and a plain
// text table of them — what `npm run demo` prints after each step. Never a full key.
import type { PracticeRecord } from "../functions/practice/practice-record.js";
import type { SimulatorKey } from "./portal-simulator.js";

export interface PracticeSnapshot {
  readonly practiceId: string;
  /** The table's status, or "—" when the practice has no record. */
  readonly status: string;
  readonly maskedKey: string;
  /** The portal's KeyStatus of the practice's key, or "—". */
  readonly portalStatus: string;
  /** The portal's DevRefId of that key (`""` unlabeled), or "—". */
  readonly label: string;
  /** Keys in the portal labeled with this practice's DevRefId (more than one would break invariant 1). */
  readonly keysLabeled: number;
  readonly failureReason?: string;
}

/**
 * `fingerprintOf` gives a portal key's keyed fingerprint: the record names its key by fingerprint only (it holds
 * the key as a ciphertext, docs/architecture.md §4 invariant 13).
 */
export function practiceSnapshot(
  practiceId: string,
  devRefId: string,
  record: PracticeRecord | undefined,
  portalKeys: readonly SimulatorKey[],
  fingerprintOf: (customerKey: string) => string,
): PracticeSnapshot {
  const key = record?.keyFingerprint
    ? portalKeys.find((candidate) => fingerprintOf(candidate.CustomerKey) === record.keyFingerprint)
    : undefined;
  return {
    practiceId,
    status: record?.status ?? "—",
    maskedKey: record?.maskedKey ?? "—",
    portalStatus: key?.KeyStatus ?? "—",
    label: key ? key.DevRefId : "—",
    keysLabeled: portalKeys.filter((candidate) => candidate.DevRefId === devRefId).length,
    ...(record?.failureReason ? { failureReason: record.failureReason } : {}),
  };
}

/** A fixed-width text table with a header row. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ")}`.trimEnd();
  return [line(header), line(widths.map((width) => "─".repeat(width))), ...rows.map(line)].join("\n");
}

export function formatSnapshots(snapshots: readonly PracticeSnapshot[]): string {
  return formatTable(
    ["practice", "status", "key", "portal status", "label"],
    snapshots.map((row) => [
      row.practiceId,
      row.status,
      row.maskedKey,
      row.portalStatus,
      row.label === "" ? '""' : row.label,
    ]),
  );
}
