// Parses human durations for command-line options: "90s", "5m", "1h", "1h30m", "250ms", or "off".

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined for "off"/"never"/"0". Throws an Error naming the bad text. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (["off", "never", "0", "none"].includes(value)) return undefined;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value)
    throw new Error(`"${text}" is not a duration: use e.g. 30s, 5m, 1h, 1h30m, or off`);
  const ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * UNITS[unit!]!, 0);
  if (ms < 1000) throw new Error(`"${text}" is too short: the shortest interval is 1s`);
  return ms;
}
