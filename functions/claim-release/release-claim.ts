// EventBridge target for Step Functions' "Execution Status Change" (FAILED, TIMED_OUT, ABORTED) of the onboarding
// and offboarding state machines: releases the claim an execution left behind (functions/claim-release/claim-release.ts).
import type { Context } from "aws-lambda";
import { keyCipherFromEnv } from "../key-custody/key-cipher-runtime.js";
import { logger, metrics } from "../platform/observability.js";
import { portalClient, portalSecretName } from "../portal/portal-runtime.js";
import { practiceStore } from "../practice/practice-store-runtime.js";
import { type ClaimReleaseOutcome, releaseClaim } from "./claim-release.js";

export async function handler(event: unknown, context?: Context): Promise<ClaimReleaseOutcome> {
  logger.resetKeys();
  const detail = (event as { detail?: { name?: unknown } } | null)?.detail;
  if (typeof detail?.name === "string") logger.appendKeys({ executionName: detail.name });
  if (context) logger.addContext(context);
  try {
    const outcome = await releaseClaim(
      {
        // Onboarding's compensation opens the key to disable it (docs/architecture.md §4 invariant 13).
        store: practiceStore({ keyCipher: keyCipherFromEnv() }),
        portal: portalClient(),
        portalSecretName: portalSecretName(),
        logger,
        stateMachines: {
          onboarding: process.env.ONBOARDING_STATE_MACHINE_ARN || undefined,
          offboarding: process.env.OFFBOARDING_STATE_MACHINE_ARN || undefined,
        },
      },
      event,
    );
    logger.info("claim release", { ...outcome });
    return outcome;
  } catch (error) {
    // Thrown for Lambda's asynchronous retries, then the dead-letter queue (alarmed).
    logger.error("claim release failed", {
      errorName: (error as Error)?.name,
      errorMessage: (error as Error)?.message,
    });
    throw error;
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
