// `--older-than` of `ops list --not-installed`: an age in days, hours and minutes ("3d", "36h", "1d12h", "90m"),
// from 1 minute to 365 days. Bad text is a usage error (exit 2) naming the option and the value.
import { InvalidArgumentError } from "commander";

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000 };
const MAX_AGE_MS = 365 * 86_400_000;

export function parseOlderThan(text: string): number {
  const value = text.trim().toLowerCase();
  const parts = [...value.matchAll(/(\d{1,6})([dhm])/g)];
  if (value === "" || parts.map((p) => p[0]).join("") !== value)
    throw new InvalidArgumentError(
      `--older-than must be an age such as 3d, 36h, 1d12h or 90m, got "${text.slice(0, 40)}"`,
    );
  const ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * UNIT_MS[unit!]!, 0);
  if (ms < UNIT_MS.m! || ms > MAX_AGE_MS)
    throw new InvalidArgumentError(`--older-than must be between 1m and 365d, got "${text.slice(0, 40)}"`);
  return ms;
}
