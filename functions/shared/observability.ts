// The one Logger and Metrics instance per Lambda module (created once, reused across warm invocations).
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

/** CloudWatch namespace of every metric this project emits. */
export const METRICS_NAMESPACE = "PracticeOnboarding";

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "practice-onboarding",
});

export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "practice-onboarding",
});
