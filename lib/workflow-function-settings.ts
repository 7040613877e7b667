// What every workflow's Lambda functions share: timeouts, the KMS actions for the table's items, and the portal
// callers' environment — identical everywhere, so every portal caller shares one rate-limiter item and budget.
import { Duration } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { HandlerFunction } from "./handler-function.js";

/** What reading and writing items of a table encrypted with a customer-managed key takes (CDK's grantReadWriteData). */
export const TABLE_KEY_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
];

/** Timeout of the onboarding and offboarding functions that only touch the table. */
export const TABLE_FUNCTION_TIMEOUT = Duration.seconds(30);

/**
 * Timeout of the functions that call the portal: room to wait for a rate-limit slot (PORTAL_MAX_WAIT_MS), one
 * request and its single 401 retry. 20 executions at 1 req/s queue ~40 s of budget; waiting here is cheaper
 * than a Step Functions retry round.
 */
export const PORTAL_FUNCTION_TIMEOUT = Duration.seconds(90);

export const DEFAULT_PORTAL_BASE_URL = "https://api.opendental.com/api/v1";

export interface PortalSettings {
  /** Secret holding `{"developerKey","developerPortalKey"}`. */
  readonly portalCredentials: secretsmanager.ISecret;
  /** Open Dental Developer Portal base URL. @default "https://api.opendental.com/api/v1" */
  readonly portalBaseUrl?: string;
  /** Account-wide portal budget in requests per second, shared by every execution and function. @default 1 */
  readonly portalMaxRps?: number;
  /** Per-request portal timeout. @default 15 seconds */
  readonly portalTimeout?: Duration;
}

/**
 * The environment of a function that calls the portal (and the table): the longest wait for a rate-limit slot
 * leaves room in PORTAL_FUNCTION_TIMEOUT for the request and its one 401 retry.
 */
export function portalFunctionEnvironment(
  tableName: string,
  settings: PortalSettings,
): Record<string, string> {
  const portalTimeout = settings.portalTimeout ?? Duration.seconds(15);
  const maxWait = PORTAL_FUNCTION_TIMEOUT.toMilliseconds() - 2 * portalTimeout.toMilliseconds() - 10_000;
  return {
    TABLE_NAME: tableName,
    PORTAL_SECRET_ARN: settings.portalCredentials.secretArn,
    OPEN_DENTAL_BASE_URL: settings.portalBaseUrl ?? DEFAULT_PORTAL_BASE_URL,
    PORTAL_MAX_RPS: String(settings.portalMaxRps ?? 1),
    PORTAL_TIMEOUT_MS: String(portalTimeout.toMilliseconds()),
    PORTAL_MAX_WAIT_MS: String(Math.max(1_000, maxWait)),
  };
}

/**
 * Builds a workflow's step functions in `scope`: a portal caller gets the portal environment and timeout, the
 * others the table alone and the table timeout.
 */
export function stepFunctionFactory(
  scope: Construct,
  settings: {
    readonly encryptionKey: kms.IKey;
    readonly logRetention?: logs.RetentionDays;
    readonly tableEnvironment: Record<string, string>;
    readonly portalEnvironment: Record<string, string>;
  },
): (id: string, entry: string, description: string, portal: boolean) => HandlerFunction {
  return (id, entry, description, portal) =>
    new HandlerFunction(scope, id, {
      entry,
      description,
      encryptionKey: settings.encryptionKey,
      logRetention: settings.logRetention,
      timeout: portal ? PORTAL_FUNCTION_TIMEOUT : TABLE_FUNCTION_TIMEOUT,
      environment: portal ? settings.portalEnvironment : settings.tableEnvironment,
    });
}
