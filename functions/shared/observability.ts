// One Powertools logger and metrics instance per Lambda module; correlation ids are appended as attributes.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";

export const SERVICE_NAME = "practice-onboarding";
export const METRICS_NAMESPACE = "PracticeOnboarding";

export const logger = new Logger({ serviceName: SERVICE_NAME });

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
