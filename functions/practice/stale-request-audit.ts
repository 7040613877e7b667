// The audit entry of a stale request (request-order.ts): kept apart so the webhook, which only compares
// times, does not bundle the audit trail's writer.
import { appendAudit } from "./audit-trail.js";
import type { PracticeRecord } from "./practice-record.js";
import type { PracticeTable } from "./practice-table.js";
import { STALE_REQUEST_AUDIT_ACTION } from "./request-order.js";

/**
 * Records that a request came too late (its own entry: the practice itself is not changed). A retried claim
 * Lambda may add a second entry for the same execution; both say the same.
 */
export async function staleRequestAudit(
  table: PracticeTable,
  stale: {
    readonly request: "onboarding" | "offboarding";
    readonly practiceId: string;
    readonly executionName: string;
    readonly actor: string;
    readonly issuedAt: string;
    readonly lastTransitionAt: string;
    readonly status: PracticeRecord["status"];
    readonly now: string;
  },
): Promise<void> {
  await appendAudit(table, {
    practiceId: stale.practiceId,
    action: STALE_REQUEST_AUDIT_ACTION,
    actor: stale.actor,
    executionName: stale.executionName,
    details: {
      request: stale.request,
      issuedAt: stale.issuedAt,
      lastTransitionAt: stale.lastTransitionAt,
      status: stale.status,
    },
    now: new Date(stale.now),
  });
}
