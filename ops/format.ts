// Plain-text rendering for ops output: aligned tables, durations, labelled fields.

/** An aligned table with an upper-case header row; empty cells show as "-". */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | undefined)[])[],
): string {
  const cells = rows.map((row) => headers.map((_, i) => row[i] || "-"));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join("\n");
}

/** `label   value` lines, labels padded to one width; undefined values are left out. */
export function formatFields(
  fields: readonly (readonly [string, string | undefined])[],
  indent = "",
): string {
  const shown = fields.filter(([, value]) => value !== undefined && value !== "");
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join("\n");
}

/** 850 ms → "850 ms", 12.3 s → "12.3 s", 125 s → "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** A Date or ISO string as ISO, seconds precision (`2025-06-11T10:15:02Z`). */
export function formatTime(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
