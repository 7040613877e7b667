// `--expires` of `ops activation-link`: a duration in days, hours and minutes ("7d", "36h", "1d12h", "90m"),
// within the lifetimes a link may have (functions/activation/activation-link.ts). Bad text is a usage error (exit 2).
import { InvalidArgumentError } from "commander";
import { MAX_LINK_LIFETIME_MS, MIN_LINK_LIFETIME_MS } from "../functions/activation/activation-link.js";

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000 };

export function parseLinkLifetime(text: string): number {
  const value = text.trim().toLowerCase();
  const parts = [...value.matchAll(/(\d{1,6})([dhm])/g)];
  if (value === "" || parts.map((p) => p[0]).join("") !== value)
    throw new InvalidArgumentError(
      `--expires must be a duration such as 7d, 36h, 1d12h or 90m, got "${text}"`,
    );
  const ms = parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * UNIT_MS[unit!]!, 0);
  if (ms < MIN_LINK_LIFETIME_MS || ms > MAX_LINK_LIFETIME_MS)
    throw new InvalidArgumentError(`--expires must be between 5m and 30d, got "${text}"`);
  return ms;
}
