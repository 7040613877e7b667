// Activation entries on the practice's audit trail: ACTIVATION_LINK_ISSUED … _REVOKED, with the link id (a
// prefix of the token's hash) and never the token or the key.
import type { ActivationAudit, ActivationAuditEntry } from "../activation/activation-audit.js";
import { appendAudit } from "./audit-trail.js";
import type { PracticeTable } from "./practice-table.js";

export const ACTIVATION_AUDIT_ACTIONS = {
  issued: "ACTIVATION_LINK_ISSUED",
  viewed: "ACTIVATION_LINK_VIEWED",
  revealed: "ACTIVATION_LINK_REVEALED",
  expired: "ACTIVATION_LINK_EXPIRED",
  revoked: "ACTIVATION_LINK_REVOKED",
} as const;

/** Who an entry names: the issuer for an issue, the page for what a visitor did, the revoker otherwise. */
function actorOf(entry: ActivationAuditEntry, revokedBy: string): string {
  if (entry.action === "issued") return String(entry.details?.issuedBy ?? "ops");
  if (entry.action === "revoked") return revokedBy;
  return "activation-page";
}

/** @param revokedBy the actor of revocations made through this trail (e.g. `ops:alice`, `offboarding`). */
export function activationAuditTrail(table: PracticeTable, revokedBy = "activation-links"): ActivationAudit {
  return async (entry) => {
    await appendAudit(table, {
      practiceId: entry.practiceId,
      action: ACTIVATION_AUDIT_ACTIONS[entry.action],
      actor: actorOf(entry, revokedBy),
      now: new Date(entry.at),
      details: {
        linkId: entry.linkId,
        ...(entry.sourceIp ? { sourceIp: entry.sourceIp } : {}),
        ...entry.details,
      },
    });
  };
}
