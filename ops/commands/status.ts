// `ops status <practiceId>`: the practice record, its last execution, its key's live state in the portal and
// its recent audit entries. The key is only ever shown masked.
import { DescribeExecutionCommand, type DescribeExecutionOutput } from "@aws-sdk/client-sfn";
import { redactCustomerKeys } from "../../functions/platform/mask.js";
import type { AuditEntry } from "../../functions/practice/audit-trail.js";
import { type PracticeRecord, shownKeyOf } from "../../functions/practice/practice-record.js";
import { STALE_REQUEST_AUDIT_ACTION } from "../../functions/practice/request-order.js";
import { executionArnFor } from "../../functions/webhook/onboarding-starter.js";
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import { latestActivationLink } from "../activation-link-view.js";
import type { CommandContext } from "../context.js";
import { describeFailure, EXIT, type ExitCode, OperationFailed } from "../errors.js";
import { formatFields, formatTable, formatTime } from "../format.js";
import { keyFunnel } from "../key-funnel.js";
import { findLiveKey, type LiveKeyView, liveKeyView } from "../live-key.js";
import { pendingOffboardingRequests, pendingRequestLines } from "../offboarding-request-view.js";
import { missingKeyAdministratorAccess } from "../portal-access.js";
import { practiceView } from "../practice-view.js";
import type { OpsTarget } from "../targets.js";

const RECENT_AUDIT_ENTRIES = 10;

export interface ExecutionSummary {
  readonly name: string;
  readonly workflow: string;
  readonly status?: string;
  readonly startDate?: string;
  readonly stopDate?: string;
  readonly error?: string;
  readonly cause?: string;
}

export type PortalKeyStatus =
  | { readonly found: true; readonly key: LiveKeyView }
  | { readonly found: false; readonly reason: string }
  /** The caller may not read the portal credentials (only the key administrator policy grants them). */
  | { readonly unavailable: string }
  | { readonly error: string };

/** Looks the execution name up in each workflow that may have run it (onboarding, offboarding). */
async function findExecution(target: OpsTarget, name: string): Promise<ExecutionSummary | undefined> {
  const workflows: [string, string | undefined][] = [
    ["onboarding", target.optionalOutput(STACK_OUTPUTS.onboarding)],
    ["offboarding", target.optionalOutput(STACK_OUTPUTS.offboarding)],
  ];
  for (const [workflow, arn] of workflows) {
    if (!arn) continue;
    let found: DescribeExecutionOutput;
    try {
      found = await target.sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArnFor(arn, name) }),
      );
    } catch (error) {
      if ((error as Error).name === "ExecutionDoesNotExist") continue;
      throw error;
    }
    return {
      name,
      workflow,
      ...(found.status ? { status: found.status } : {}),
      ...(found.startDate ? { startDate: new Date(found.startDate).toISOString() } : {}),
      ...(found.stopDate ? { stopDate: new Date(found.stopDate).toISOString() } : {}),
      ...(found.error ? { error: redactCustomerKeys(found.error) } : {}),
      ...(found.cause ? { cause: redactCustomerKeys(found.cause) } : {}),
    };
  }
  return undefined;
}

async function portalStatus(target: OpsTarget, record: PracticeRecord): Promise<PortalKeyStatus> {
  if (!record.customerKey) return { found: false, reason: "the practice has no key" };
  if (!record.keyFingerprint)
    return { found: false, reason: "the record's key has no fingerprint yet: run ops migrate-keys" };
  try {
    const key = await findLiveKey(target, record.keyFingerprint);
    return key
      ? { found: true, key: liveKeyView(key, shownKeyOf(record)) }
      : { found: false, reason: "the portal does not list this key" };
  } catch (error) {
    const missing = missingKeyAdministratorAccess(
      error,
      target.output(STACK_OUTPUTS.portalSecret, "portal secret"),
    );
    if (missing) return { unavailable: missing };
    return { error: redactCustomerKeys(describeFailure(error)) };
  }
}

function auditDetails(entry: AuditEntry): string {
  return redactCustomerKeys(
    Object.entries(entry.details ?? {})
      .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" "),
  );
}

function portalLines(portal: PortalKeyStatus): string {
  if ("unavailable" in portal) return `  portal view unavailable: ${portal.unavailable}`;
  if ("error" in portal) return `  live status unavailable: ${portal.error}`;
  if (!portal.found) return `  ${portal.reason}`;
  const { key } = portal;
  return formatFields(
    [
      ["key", key.maskedKey],
      ["status", key.keyStatus],
      ["label", key.devRefId === "" ? "(unlabeled)" : key.devRefId],
      ["created", key.dateCreated ?? undefined],
      ["disabled", key.dateDisabled ?? undefined],
      ["installed", key.dateTimeAssigned ?? "not yet added in Open Dental"],
    ],
    "  ",
  );
}

/** What `keyOrigin` means, for the person reading the status. */
const KEY_ORIGIN_TEXT: Readonly<Record<string, string>> = {
  created: "created by its onboarding",
  reenabled: "re-enabled: the key it had before (it may already be installed in its Open Dental)",
};

export async function status(context: CommandContext, practiceId: string): Promise<ExitCode> {
  const { target } = context;
  const store = target.practiceStore();
  const record = await store.getPractice(practiceId);
  if (!record) throw new OperationFailed(`no practice ${practiceId} is recorded in ${target.description}`);
  const [lastExecution, portal, fullAudit, activationLink, offboardingRequests] = await Promise.all([
    findExecution(target, record.lastExecution),
    portalStatus(target, record),
    store.listAudit(practiceId, 10_000),
    latestActivationLink(target, practiceId),
    pendingOffboardingRequests(target, practiceId),
  ]);
  const audit = fullAudit.slice(-RECENT_AUDIT_ENTRIES);
  // The ordering rule's last refusal: a CRM replaying old events shows here even after it scrolled off the trail.
  const lastStaleRequest = fullAudit.findLast((entry) => entry.action === STALE_REQUEST_AUDIT_ACTION);
  const practice = practiceView(record);
  const funnel = keyFunnel(record, activationLink);
  context.printJson({
    practice,
    lastExecution: lastExecution ?? null,
    portal,
    activationLink,
    lastStaleRequest: lastStaleRequest ?? null,
    offboardingRequests,
    funnel,
    audit,
  });

  context.print(
    [
      `Practice ${practice.practiceId}`,
      formatFields(
        [
          ["status", practice.status],
          ["devRefId", practice.devRefId],
          ["key", practice.maskedKey ?? "(none)"],
          ["key origin", KEY_ORIGIN_TEXT[practice.keyOrigin ?? ""]],
          ["previous key", practice.previousMaskedKey],
          ["requested by", practice.requestedBy],
          ["failure", practice.failureReason ? redactCustomerKeys(practice.failureReason) : undefined],
          ["created", formatTime(practice.createdAt)],
          ["updated", formatTime(practice.updatedAt)],
          ["activated", formatTime(practice.activatedAt)],
          ["failed", formatTime(practice.failedAt)],
          ["offboarded", formatTime(practice.offboardedAt)],
          ["version", String(practice.version)],
        ],
        "  ",
      ),
      ...(practice.offboarding
        ? [
            "",
            "Offboarding (latest)",
            formatFields(
              [
                ["reason", practice.offboarding.reason],
                ["requested by", practice.offboarding.requestedBy],
                ["execution", practice.offboarding.executionName],
                ["started", formatTime(practice.offboarding.startedAt)],
                ["key disabled", formatTime(practice.offboarding.keyDisabledAt)],
                ["portal status", practice.offboarding.portalKeyStatus],
                [
                  "key missing",
                  practice.offboarding.keyMissingInPortal ? "the portal did not know the key" : undefined,
                ],
                ["completed", formatTime(practice.offboarding.completedAt)],
                ["failed", formatTime(practice.offboarding.failedAt)],
                [
                  "failure",
                  practice.offboarding.failureReason
                    ? redactCustomerKeys(practice.offboarding.failureReason)
                    : undefined,
                ],
              ],
              "  ",
            ),
          ]
        : []),
      "",
      "Offboarding request (pending)",
      ...pendingRequestLines(offboardingRequests),
      "",
      "Last execution",
      lastExecution
        ? formatFields(
            [
              ["name", lastExecution.name],
              ["workflow", lastExecution.workflow],
              ["status", lastExecution.status],
              ["started", formatTime(lastExecution.startDate)],
              ["stopped", formatTime(lastExecution.stopDate)],
              ["error", [lastExecution.error, lastExecution.cause].filter(Boolean).join(": ") || undefined],
            ],
            "  ",
          )
        : `  ${record.lastExecution} (not found in the stack's workflows)`,
      "",
      "Portal (live)",
      portalLines(portal),
      "",
      "Getting the key to the office (link issued → revealed → installed)",
      formatFields(
        [
          ["stage", funnel.stage],
          ["link issued", formatTime(funnel.linkIssuedAt)],
          ["revealed", formatTime(funnel.linkRevealedAt)],
          [
            "installed",
            funnel.installedAt
              ? `${formatTime(funnel.installedAt)} (the portal says ${funnel.assignedInPortal}, its own time zone)`
              : record.status === "ACTIVE"
                ? "not yet (as of the last reconciliation)"
                : undefined,
          ],
        ],
        "  ",
      ),
      "",
      "Activation link (latest)",
      activationLink
        ? formatFields(
            [
              ["link", `${activationLink.linkId} (${activationLink.state})`],
              [
                "issued",
                `${formatTime(activationLink.issuedAt)}${activationLink.issuedBy ? ` by ${activationLink.issuedBy}` : ""}`,
              ],
              ["expires", formatTime(activationLink.expiresAt)],
              ["revealed", formatTime(activationLink.revealedAt)],
              [
                "revoked",
                activationLink.revokedAt
                  ? `${formatTime(activationLink.revokedAt)} (${activationLink.revokedReason})`
                  : undefined,
              ],
            ],
            "  ",
          )
        : `  none issued (${context.opsCommand(`activation-link ${practiceId}`)})`,
      ...(lastStaleRequest
        ? [
            "",
            "Last stale request (changed nothing: issued at or before the practice's last transition)",
            formatFields(
              [
                ["request", String(lastStaleRequest.details?.request ?? "")],
                ["issued", formatTime(String(lastStaleRequest.details?.issuedAt ?? ""))],
                ["last transition", formatTime(String(lastStaleRequest.details?.lastTransitionAt ?? ""))],
                ["refused", formatTime(lastStaleRequest.at)],
                ["execution", lastStaleRequest.executionName],
                ["requested by", lastStaleRequest.actor],
              ],
              "  ",
            ),
          ]
        : []),
      "",
      `Recent audit entries (last ${RECENT_AUDIT_ENTRIES})`,
      formatTable(
        ["at", "action", "actor", "details"],
        audit.map((entry) => [formatTime(entry.at), entry.action, entry.actor, auditDetails(entry)]),
      )
        .split("\n")
        .map((line) => `  ${line}`)
        .join("\n"),
    ].join("\n"),
  );
  return EXIT.ok;
}
