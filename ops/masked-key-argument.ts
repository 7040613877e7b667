// How an operator names a lost-POST candidate on the command line: by its masked form as ops candidates shows it
// (`…W2HD #3f9a1c`), or by its fingerprint alone (`#3f9a1c`), never the full key (shell history keeps command
// lines). docs/architecture.md §4 invariant 13; docs/ops-cli.md (adopt-key). No AWS SDK here: usage errors
// answer at once.
import { UsageError } from "./errors.js";

/**
 * `…W2HD #3f9a1c` as ops candidates prints it (`...W2HD #3f9a1c` for keyboards without an ellipsis; `… #3f9a1c`
 * for a key too short to show its last 4), or the fingerprint alone, `#3f9a1c`, as an operator may copy it.
 */
const MASKED_KEY = /^(?:(?:…|\.\.\.)([A-Z0-9]{4})?\s+)?#([0-9a-f]{6})$/;
/** The form ops showed before key custody (8 characters of the key): refused, with the new form named. */
const OLD_MASKED_KEY = /^[A-Z0-9]{4}(?:…|\.\.\.)[A-Z0-9]{4}$/;
/** A whole CustomerKey: refused as an argument, without echoing it. */
const FULL_KEY = /[A-Z0-9]{16}/;

const EXAMPLE = "…W2HD #3f9a1c, ...W2HD #3f9a1c or #3f9a1c";

/** A candidate as named on the command line: its short fingerprint, and its last 4 when given. */
export interface MaskedKeyArgument {
  /** The short fingerprint (6 lower-case hex digits). */
  readonly fingerprint: string;
  /** The key's last 4 characters, when the operator gave them ("" for a short key's `… #3f9a1c`). */
  readonly tail?: string;
  /** As the operator gave it, normalized (`…W2HD #3f9a1c` or `#3f9a1c`): for messages. */
  readonly shown: string;
}

/** The masked form from a command-line argument (usage error for anything else, a full key above all). */
export function parseMaskedKey(value: string): MaskedKeyArgument {
  if (FULL_KEY.test(value))
    throw new UsageError(
      "that looks like a full CustomerKey: never put a key on the command line (shell history keeps it); " +
        `name the candidate by the masked form ops candidates shows (${EXAMPLE})`,
    );
  const trimmed = value.trim();
  if (OLD_MASKED_KEY.test(trimmed))
    throw new UsageError(
      `<maskedKey> is in the old form, which showed 8 characters of the key and is refused: ` +
        `run ops candidates and give the form it shows now (${EXAMPLE})`,
    );
  const match = MASKED_KEY.exec(trimmed);
  if (!match) throw new UsageError(`<maskedKey> must be the masked form ops candidates shows (${EXAMPLE})`);
  const [, tail, fingerprint] = match as unknown as [string, string | undefined, string];
  const named = trimmed.startsWith("#") ? undefined : (tail ?? "");
  return {
    fingerprint,
    ...(named === undefined ? {} : { tail: named }),
    shown: named === undefined ? `#${fingerprint}` : `…${named} #${fingerprint}`,
  };
}

/** True when the shown form `…W2HD #3f9a1c` of a key is the one the argument names. */
export function namesMaskedKey(argument: MaskedKeyArgument, maskedKey: string): boolean {
  const [shownTail, fingerprint] = maskedKey.split(" #");
  if (fingerprint !== argument.fingerprint) return false;
  return argument.tail === undefined || shownTail === `…${argument.tail}`;
}
