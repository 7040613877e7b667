import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type CfnResource, Duration, RemovalPolicy } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { SERVICE_NAME } from "./metric-names.js";

/** Project root, so entries are given relative to it (`functions/onboarding-claim.ts`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Template metadata key naming a function's entry file; the local engine binds Tasks to handler modules by it. */
export const HANDLER_ENTRY_METADATA = "practice-onboarding:entry";

export interface HandlerFunctionProps {
  /** Entry file relative to the project root, e.g. `functions/onboarding-claim.ts`. Exports `handler`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Function timeout. @default 30 seconds */
  readonly timeout?: Duration;
  /** Memory in MiB. @default 256 */
  readonly memorySize?: number;
  /** Environment variables (names validated by functions/shared/config.ts at cold start). @default none */
  readonly environment?: Record<string, string>;
  /** Key that encrypts the log group. */
  readonly encryptionKey: kms.IKey;
  /** Log retention. @default three months */
  readonly logRetention?: logs.RetentionDays;
  /** Reserved concurrency. @default unreserved */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * A Node 22 Lambda bundled the way DESIGN.md §8 measured fastest: ESM, SDK bundled, module-first main fields,
 * minified; JSON logs in an encrypted log group with retention; X-Ray tracing on.
 */
export class HandlerFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.function = new nodejs.NodejsFunction(this, "Function", {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: "handler",
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        // Powertools adds it as the `service` dimension of every metric; the alarms match on it.
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        ...props.environment,
      },
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, "package-lock.json"),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        bundleAwsSDK: true,
        mainFields: ["module", "main"],
        target: "node22",
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });
    (this.function.node.defaultChild as CfnResource).addMetadata(HANDLER_ENTRY_METADATA, props.entry);
  }
}
