// The container's activation parts on the practice table, built on first use (reads TABLE_NAME then): the link
// store, the ACTIVE-only key source, the audit trail and the shared per-source rate limiter.
import type { ActivationAudit } from "../activation/activation-audit.js";
import { revokeActivationLinks } from "../activation/activation-links.js";
import type { KeySource } from "../activation/key-source.js";
import type { SourceRateLimiter } from "../activation/source-rate-limiter.js";
import type { KeyCipher } from "../key-custody/key-cipher.js";
import { tableNameFromEnv } from "../platform/config.js";
import { documentClient } from "../platform/dynamodb-client.js";
import { activationAuditTrail } from "./activation-audit-trail.js";
import { practiceKeySource } from "./activation-key-source.js";
import { DynamoActivationLinkStore } from "./activation-link-store.js";
import { DynamoSourceRateLimiter } from "./activation-rate-limiter.js";
import type { PracticeTable } from "./practice-table.js";

export interface ActivationTableParts {
  readonly store: DynamoActivationLinkStore;
  readonly keys: KeySource;
  readonly audit: ActivationAudit;
  readonly rateLimiter: SourceRateLimiter;
}

/** The activation parts on `table`; `revokedBy` is the audit actor of revocations made through them. */
export function activationTableParts(table: PracticeTable, revokedBy?: string): ActivationTableParts {
  return {
    store: new DynamoActivationLinkStore(table),
    keys: practiceKeySource(table),
    audit: activationAuditTrail(table, revokedBy),
    rateLimiter: new DynamoSourceRateLimiter(table),
  };
}

const built = new Map<string, ActivationTableParts>();

/**
 * The container's activation parts. The page passes its key cipher: it opens the key when the office reveals it
 * (docs/architecture.md §4 invariant 13); issuing a link never does.
 */
export function activationRuntime(custody: { readonly keyCipher?: KeyCipher } = {}): ActivationTableParts {
  const kind = custody.keyCipher ? "c" : "";
  let parts = built.get(kind);
  if (!parts) {
    parts = activationTableParts({
      client: documentClient(),
      tableName: tableNameFromEnv(),
      ...(custody.keyCipher ? { keyCipher: custody.keyCipher } : {}),
    });
    built.set(kind, parts);
  }
  return parts;
}

/** Offboarding's revocation: every open link of the practice, audited as revoked by the offboarding execution. */
export function revokeLinksOnOffboarding(input: {
  readonly practiceId: string;
  readonly executionName: string;
}): Promise<readonly string[]> {
  const table = { client: documentClient(), tableName: tableNameFromEnv() };
  const { store, audit } = activationTableParts(table, `offboarding:${input.executionName}`);
  return revokeActivationLinks({ store, audit, now: () => new Date() }, input.practiceId, "offboarded");
}
