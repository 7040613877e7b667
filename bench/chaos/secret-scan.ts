// Looks for full secrets (every CustomerKey the portal holds, the portal credentials, the webhook signing secret)
// in text the system produced: logs, execution histories, domain events, audit entries, HTTP answers.
import { maskKeyTail, maskSecret } from "../../functions/platform/mask.js";

export interface NamedSecret {
  /** What it is, masked: `CustomerKey …W2HD`, `DeveloperKey simd…0001`. */
  readonly label: string;
  readonly value: string;
}

export interface LeakFinding {
  /** Where: `stdout/stderr`, `history crm-msg_…`, `events.jsonl`, `audit chaos-practice-0001`… */
  readonly source: string;
  /** Which secret (masked). */
  readonly secret: string;
  /** Times it appears there. */
  readonly occurrences: number;
}

export interface ScannedText {
  readonly source: string;
  readonly text: string;
}

/** The secrets of a run; a webhook secret is also looked for without its `whsec_` prefix (the raw base64). */
export function runSecrets(input: {
  readonly customerKeys: readonly string[];
  readonly developerKey: string;
  readonly developerPortalKey: string;
  readonly webhookSecret: string;
}): NamedSecret[] {
  const webhookBase64 = input.webhookSecret.replace(/^whsec_/, "");
  return [
    ...input.customerKeys.map((value) => ({ label: `CustomerKey ${maskKeyTail(value)}`, value })),
    { label: `DeveloperKey ${maskSecret(input.developerKey)}`, value: input.developerKey },
    { label: `DeveloperPortalKey ${maskSecret(input.developerPortalKey)}`, value: input.developerPortalKey },
    { label: `webhook secret ${maskSecret(input.webhookSecret)}`, value: webhookBase64 },
  ];
}

function countOccurrences(text: string, value: string): number {
  let count = 0;
  for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length)) count += 1;
  return count;
}

/**
 * Every (source, secret) pair where the secret appears in full. CustomerKeys are found in one pass with a
 * 16-character pattern and a set lookup, so thousands of keys over megabytes of logs stay fast.
 */
export function scanForSecrets(
  texts: readonly ScannedText[],
  secrets: readonly NamedSecret[],
): LeakFinding[] {
  const keyShaped = new Map<string, NamedSecret>();
  const others: NamedSecret[] = [];
  for (const secret of secrets) {
    if (/^[A-Z0-9]{16}$/.test(secret.value)) keyShaped.set(secret.value, secret);
    else others.push(secret);
  }
  const findings: LeakFinding[] = [];
  for (const { source, text } of texts) {
    const counts = new Map<string, number>();
    // Every window of every run of key characters: a key glued to others (in a URL, a longer token) still leaks.
    for (const match of text.matchAll(/[A-Z0-9]{16,}/g)) {
      const run = match[0];
      for (let i = 0; i + 16 <= run.length; i++) {
        const secret = keyShaped.get(run.slice(i, i + 16));
        if (secret) counts.set(secret.label, (counts.get(secret.label) ?? 0) + 1);
      }
    }
    for (const secret of others) {
      const occurrences = countOccurrences(text, secret.value);
      if (occurrences > 0) counts.set(secret.label, occurrences);
    }
    for (const [secret, occurrences] of counts) findings.push({ source, secret, occurrences });
  }
  return findings;
}
