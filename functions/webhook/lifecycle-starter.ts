// Acts on one mapped CRM lifecycle request (functions/webhook/providers/crm-mapping.ts): "onboard" starts the
// onboarding workflow, "churn" starts an offboarding request (grace period first), "win-back" cancels the
// practice's pending requests that the CRM issued earlier. Executions are named from the provider's delivery
// identity, so a redelivery finds the execution its first delivery started (docs/architecture.md §5).
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type SFNClient,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { MAX_ISSUED_AHEAD_SECONDS } from "../practice/request-order.js";
import { type OffboardingRequestInput, runAtAfter } from "./offboarding-request.js";
import type { StartedExecution } from "./onboarding-starter.js";
import type { LifecycleRequest } from "./providers/lifecycle-request.js";
import { executionNameForWebhook, sanitizeWebhookId } from "./webhook-execution-name.js";

export interface LifecycleStarterDeps {
  startOnboarding: (name: string, input: object) => Promise<StartedExecution>;
  startOffboardingRequest: (name: string, input: OffboardingRequestInput) => Promise<StartedExecution>;
  /** Stops the practice's running requests issued before `before`; returns the stopped executions' ARNs. */
  cancelOffboardingRequests: (practiceId: string, before: string, cause: string) => Promise<string[]>;
  /**
   * When the practice was last won back, as recorded by the requests a win-back stopped (wonBackCause), or
   * undefined. A churn issued at or before it is stale: a redelivery of a churn the win-back already cancelled.
   */
  latestWinBack?: (practiceId: string, issuedAfter: string) => Promise<string | undefined>;
  graceSeconds: number;
  requiresApproval: boolean;
  now: () => Date;
}

export type LifecycleResult =
  | { readonly kind: "onboard" | "churn"; readonly executionArn: string; readonly alreadyStarted: boolean }
  | { readonly kind: "win-back"; readonly cancelled: string[] }
  /** A churn issued at or before the practice's last win-back: nothing started (the ordering rule). */
  | { readonly kind: "churn"; readonly stale: true; readonly wonBackAt: string };

/** The cause a win-back stops a request with; it carries the win-back's issuedAt for latestWinBack to read. */
const WON_BACK_CAUSE = /^won back at (\S+) \(/;

export function wonBackCause(issuedAt: string, requestedBy: string): string {
  return `won back at ${issuedAt} (${requestedBy})`;
}

/** The audit actor of a delivery: provider and (sanitized, bounded) delivery id. */
export function crmActor(request: LifecycleRequest): string {
  return `crm-webhook:${request.provider}:${sanitizeWebhookId(request.deliveryId).slice(0, 200)}`;
}

export async function startLifecycleRequest(
  request: LifecycleRequest,
  deps: LifecycleStarterDeps,
): Promise<LifecycleResult> {
  const name = executionNameForWebhook(request.deliveryId);
  const requestedBy = crmActor(request);
  switch (request.kind) {
    case "onboard": {
      const started = await deps.startOnboarding(name, {
        practiceId: request.practiceId,
        ...(request.devRefId === undefined ? {} : { devRefId: request.devRefId }),
        requestedBy,
        issuedAt: request.issuedAt,
      });
      return { kind: "onboard", ...started };
    }
    case "churn": {
      const wonBackAt = await deps.latestWinBack?.(request.practiceId, request.issuedAt);
      if (wonBackAt !== undefined && Date.parse(request.issuedAt) <= Date.parse(wonBackAt)) {
        return { kind: "churn", stale: true, wonBackAt };
      }
      const started = await deps.startOffboardingRequest(name, {
        practiceId: request.practiceId,
        reason: `${request.provider} reported the customer churned`,
        requestedBy,
        issuedAt: request.issuedAt,
        runAt: runAtAfter(deps.now(), deps.graceSeconds),
        requiresApproval: deps.requiresApproval,
      });
      return { kind: "churn", ...started };
    }
    case "win-back": {
      const cancelled = await deps.cancelOffboardingRequests(
        request.practiceId,
        request.issuedAt,
        wonBackCause(request.issuedAt, requestedBy),
      );
      return { kind: "win-back", cancelled };
    }
  }
}

/** A running request of the practice, as `ops status` and the cancellers see it. */
export interface PendingOffboardingRequest {
  readonly executionArn: string;
  readonly name: string;
  readonly startDate?: string;
  readonly input: OffboardingRequestInput;
}

/**
 * Each execution of the state machine with `status`, described, with its input parsed (undefined when it is not
 * JSON); `skip` passes over a listed execution before it costs a DescribeExecution.
 */
async function* describedExecutions(
  client: Pick<SFNClient, "send">,
  stateMachineArn: string,
  status: "RUNNING" | "ABORTED",
  skip: (listed: { readonly stopDate?: Date }) => boolean = () => false,
) {
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: status, maxResults: 100, nextToken }),
    );
    for (const execution of page.executions ?? []) {
      if (!execution.executionArn || skip(execution)) continue;
      const described = await client.send(
        new DescribeExecutionCommand({ executionArn: execution.executionArn }),
      );
      let input: Partial<OffboardingRequestInput> | undefined;
      try {
        input = JSON.parse(described.input ?? "null") as Partial<OffboardingRequestInput>;
      } catch {
        input = undefined;
      }
      yield { executionArn: execution.executionArn, name: execution.name ?? "", described, input };
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

/** Running requests of one practice (List RUNNING, then each one's input: requests are few). */
export async function findPendingOffboardingRequests(
  client: Pick<SFNClient, "send">,
  stateMachineArn: string,
  practiceId: string,
): Promise<PendingOffboardingRequest[]> {
  const pending: PendingOffboardingRequest[] = [];
  for await (const { executionArn, name, described, input } of describedExecutions(
    client,
    stateMachineArn,
    "RUNNING",
  )) {
    if (described.status !== "RUNNING" || input?.practiceId !== practiceId) continue;
    pending.push({
      executionArn,
      name,
      ...(described.startDate ? { startDate: new Date(described.startDate).toISOString() } : {}),
      input: input as OffboardingRequestInput,
    });
  }
  return pending;
}

/** Stops the practice's pending requests issued before `before` (the ordering rule: an older win-back cancels nothing newer). */
export function createOffboardingRequestCanceller(
  client: Pick<SFNClient, "send">,
  stateMachineArn: string,
): LifecycleStarterDeps["cancelOffboardingRequests"] {
  return async (practiceId, before, cause) => {
    const cancelled: string[] = [];
    for (const request of await findPendingOffboardingRequests(client, stateMachineArn, practiceId)) {
      if (Date.parse(request.input.issuedAt) >= Date.parse(before)) continue;
      await client.send(
        new StopExecutionCommand({
          executionArn: request.executionArn,
          error: "OffboardingRequestCancelled",
          cause: cause.slice(0, 256),
        }),
      );
      cancelled.push(request.executionArn);
    }
    return cancelled;
  };
}

/**
 * The latest win-back of the practice issued after `issuedAfter`: the newest issuedAt among the win-back causes of
 * its stopped requests. Only requests stopped after that time can hold one (a win-back is received after it is
 * issued; 5 minutes allow for clock skew), so older stopped requests — 90 days of them — are not described. A
 * win-back that found nothing pending leaves no trace here (reported, not covered).
 */
export function createLatestWinBackReader(
  client: Pick<SFNClient, "send">,
  stateMachineArn: string,
): NonNullable<LifecycleStarterDeps["latestWinBack"]> {
  return async (practiceId, issuedAfter) => {
    const stoppedSince = Date.parse(issuedAfter) - MAX_ISSUED_AHEAD_SECONDS * 1000;
    let latest: string | undefined;
    const stoppedBefore = (listed: { readonly stopDate?: Date }) =>
      listed.stopDate !== undefined && new Date(listed.stopDate).getTime() < stoppedSince;
    for await (const { described, input } of describedExecutions(
      client,
      stateMachineArn,
      "ABORTED",
      stoppedBefore,
    )) {
      const wonBackAt = WON_BACK_CAUSE.exec(described.cause ?? "")?.[1];
      if (wonBackAt === undefined || Number.isNaN(Date.parse(wonBackAt))) continue;
      if (input?.practiceId !== practiceId) continue;
      if (latest === undefined || Date.parse(wonBackAt) > Date.parse(latest)) latest = wonBackAt;
    }
    return latest;
  };
}
