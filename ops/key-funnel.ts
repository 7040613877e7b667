// The installation funnel of one practice as ops shows it: link issued → revealed → installed, with times.
// "Installed" is what reconciliation last saw in the portal (DateTimeAssigned), so it is as fresh as the last run;
// a key can be installed without any link (sent some other way).
import { currentInstallation } from "../functions/practice/key-installation.js";
import type { PracticeRecord } from "../functions/practice/practice-record.js";
import type { ActivationLinkView } from "./activation-link-view.js";

/** Where the practice's key stands on its way into the office's Open Dental. */
export type FunnelStage =
  /** ACTIVE, no link ever issued and not seen installed. */
  | "no link"
  /** A link is open: sent, not yet used. */
  | "link issued"
  /** The link expired or was revoked unused. */
  | "link expired"
  | "link revoked"
  /** The office revealed the key; reconciliation has not seen it installed yet. */
  | "revealed"
  | "installed"
  /** Not ACTIVE: no key to install. */
  | "-";

export interface KeyFunnel {
  readonly stage: FunnelStage;
  readonly linkIssuedAt?: string;
  readonly linkRevealedAt?: string;
  /** When reconciliation first saw the key installed (UTC). */
  readonly installedAt?: string;
  /** The portal's DateTimeAssigned, verbatim (the portal's time zone). */
  readonly assignedInPortal?: string;
}

export function keyFunnel(record: PracticeRecord, link: ActivationLinkView | null): KeyFunnel {
  const installation = record.status === "ACTIVE" ? currentInstallation(record) : undefined;
  const times = {
    ...(link ? { linkIssuedAt: link.issuedAt } : {}),
    ...(link?.revealedAt ? { linkRevealedAt: link.revealedAt } : {}),
    ...(installation
      ? { installedAt: installation.installedAt, assignedInPortal: installation.assignedInPortal }
      : {}),
  };
  if (record.status !== "ACTIVE") return { stage: "-", ...times };
  if (installation) return { stage: "installed", ...times };
  if (!link) return { stage: "no link", ...times };
  const byState = {
    open: "link issued",
    revealed: "revealed",
    expired: "link expired",
    revoked: "link revoked",
  } as const satisfies Record<ActivationLinkView["state"], FunnelStage>;
  return { stage: byState[link.state], ...times };
}

/** True when the ACTIVE practice's key is not seen installed and it became ACTIVE before `before`. */
export function notInstalledSince(record: PracticeRecord, before: Date): boolean {
  if (record.status !== "ACTIVE" || currentInstallation(record)) return false;
  const since = record.activatedAt ?? record.updatedAt;
  return Date.parse(since) < before.getTime();
}
