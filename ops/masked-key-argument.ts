// How an operator names a lost-POST candidate on the command line: by its masked form as the report shows it,
// never the full key (shell history keeps command lines). No AWS SDK here: usage errors answer at once.
import { UsageError } from "./errors.js";

/** `QJXZ…W2HD` as the report prints it, or `QJXZ...W2HD` (three dots) for keyboards without an ellipsis. */
const MASKED_KEY = /^([A-Z0-9]{4})(?:…|\.\.\.)([A-Z0-9]{4})$/;
/** A whole CustomerKey: refused as an argument, without echoing it. */
const FULL_KEY = /[A-Z0-9]{16}/;

/** The masked form from a command-line argument (usage error for anything else, a full key above all). */
export function parseMaskedKey(value: string): string {
  if (FULL_KEY.test(value))
    throw new UsageError(
      "that looks like a full CustomerKey: never put a key on the command line (shell history keeps it); " +
        "name the candidate by the masked form ops candidates shows, e.g. QJXZ…W2HD",
    );
  const match = MASKED_KEY.exec(value.trim());
  if (!match)
    throw new UsageError(
      `<maskedKey> must be the masked form ops candidates shows (QJXZ…W2HD or QJXZ...W2HD)`,
    );
  return `${match[1]}…${match[2]}`;
}
