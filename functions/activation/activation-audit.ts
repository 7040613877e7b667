// Audit entries for activation links, handed to an injected callback (the practice store's audit trail in the
// stack). They name the practice and the link id (a prefix of the token's hash), never the token or the key.

export type ActivationAuditAction = "issued" | "viewed" | "revealed" | "expired" | "revoked";

export interface ActivationAuditEntry {
  readonly action: ActivationAuditAction;
  readonly practiceId: string;
  /** activationLinkId(tokenHash): identifies the link, useless for opening it. */
  readonly linkId: string;
  readonly at: string;
  readonly sourceIp?: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export type ActivationAudit = (entry: ActivationAuditEntry) => Promise<void> | void;
