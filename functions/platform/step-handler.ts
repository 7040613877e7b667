// Wraps a workflow step as a Lambda handler: validates the Task payload, sets the correlation ids as logger
// attributes, and flushes metrics — so each handler file is one schema and one call.
import type { Context } from "aws-lambda";
import * as z from "zod/mini";
import { InvalidInput } from "./errors.js";
import { logger, metrics } from "./observability.js";

/** Fields every step payload carries (the state machine passes `$$.Execution.Name`). */
export const stepPayloadShape = {
  practiceId: z.string().check(z.minLength(1)),
  executionName: z.string().check(z.minLength(1)),
  requestedBy: z.string().check(z.minLength(1)),
};

export function stepHandler<S extends z.ZodMiniType, R>(
  schema: S,
  step: (input: z.output<S>) => Promise<R>,
): (event: unknown, context?: Context) => Promise<R> {
  return async (event, context) => {
    const parsed = z.safeParse(schema, event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInput(`step payload field ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    const ids = parsed.data as { practiceId?: string; executionName?: string };
    logger.resetKeys();
    logger.appendKeys({ practiceId: ids.practiceId, executionName: ids.executionName });
    if (context) logger.addContext(context);
    try {
      return await step(parsed.data);
    } catch (error) {
      // Powertools reserves `message` (it would drop it with a warning), hence errorName/errorMessage.
      logger.error("step failed", {
        errorName: (error as Error)?.name,
        errorMessage: (error as Error)?.message,
      });
      throw error;
    } finally {
      // Publishing nothing would print a warning on every invocation of a step that emits no metric.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
