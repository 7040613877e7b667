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
import { type OffboardingRequestInput, runAtAfter } from "./offboarding-request.js";
import type { StartedExecution } from "./onboarding-starter.js";
import type { LifecycleRequest } from "./providers/lifecycle-request.js";
import { executionNameForWebhook, sanitizeWebhookId } from "./webhook-execution-name.js";

export interface LifecycleStarterDeps {
  startOnboarding: (name: string, input: object) => Promise<StartedExecution>;
  startOffboardingRequest: (name: string, input: OffboardingRequestInput) => Promise<StartedExecution>;
  /** Stops the practice's running requests issued before `before`; returns the stopped executions' ARNs. */
  cancelOffboardingRequests: (practiceId: string, before: string, cause: string) => Promise<string[]>;
  graceSeconds: number;
  requiresApproval: boolean;
  now: () => Date;
}

export type LifecycleResult =
  | { readonly kind: "onboard" | "churn"; readonly executionArn: string; readonly alreadyStarted: boolean }
  | { readonly kind: "win-back"; readonly cancelled: string[] };

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
        `won back (${requestedBy})`,
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

/** Running requests of one practice (List RUNNING, then each one's input: requests are few). */
export async function findPendingOffboardingRequests(
  client: Pick<SFNClient, "send">,
  stateMachineArn: string,
  practiceId: string,
): Promise<PendingOffboardingRequest[]> {
  const pending: PendingOffboardingRequest[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING", maxResults: 100, nextToken }),
    );
    for (const execution of page.executions ?? []) {
      if (!execution.executionArn) continue;
      const described = await client.send(
        new DescribeExecutionCommand({ executionArn: execution.executionArn }),
      );
      let input: OffboardingRequestInput | undefined;
      try {
        input = JSON.parse(described.input ?? "null") as OffboardingRequestInput;
      } catch {
        input = undefined;
      }
      if (described.status !== "RUNNING" || input?.practiceId !== practiceId) continue;
      pending.push({
        executionArn: execution.executionArn,
        name: execution.name ?? "",
        ...(described.startDate ? { startDate: new Date(described.startDate).toISOString() } : {}),
        input,
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
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
