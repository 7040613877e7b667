import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type CfnResource, Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SERVICE_NAME } from "../contracts/metric-names.js";
import { acknowledgeCdkInlinePolicy, acknowledgeWildcardResource } from "./nag-acknowledgments.js";

/** Project root, so entries are given relative to it (`functions/onboarding/onboarding-claim.ts`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Template metadata key naming a function's entry file; the local engine binds Tasks to handler modules by it. */
export const HANDLER_ENTRY_METADATA = "practice-onboarding:entry";

/**
 * SDK credential providers a Lambda never reaches: the runtime puts the execution role's keys in environment
 * variables, which the default chain reads first. Left out of the bundle they save about 130 KB and 20–35 ms of
 * CPU at every cold start (bench/bundles.ts; esbuild inlines the chain's lazy `import()`s). Should the chain ever
 * get past the environment (AWS_PROFILE set, or no keys), the import fails with "Cannot find package".
 */
export const CREDENTIAL_PROVIDERS_NOT_BUNDLED = [
  "@aws-sdk/credential-provider-ini",
  "@aws-sdk/credential-provider-sso",
  "@aws-sdk/credential-provider-process",
  "@aws-sdk/credential-provider-web-identity",
  "@aws-sdk/credential-provider-http",
  "@smithy/credential-provider-imds",
];

/**
 * How every handler is bundled (docs/architecture.md §8): ESM, SDK bundled, module-first main fields, minified, with a
 * `require` for the CommonJS dependencies that still call it. bench/lambda-bundles.ts builds with these same
 * options, so the measured bundles are the deployed ones. The source map ships beside the bundle, without the
 * sources (they are in git), for decoding a minified stack trace offline.
 */
export const HANDLER_BUNDLING: Readonly<nodejs.BundlingOptions> = {
  format: nodejs.OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  externalModules: CREDENTIAL_PROVIDERS_NOT_BUNDLED,
  mainFields: ["module", "main"],
  target: "node22",
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
};

/** NODE_OPTIONS of a function with `runtimeSourceMaps`: stack traces name the TypeScript sources. */
export const RUNTIME_SOURCE_MAPS_NODE_OPTIONS = "--enable-source-maps";

export interface HandlerFunctionProps {
  /** Entry file relative to the project root, e.g. `functions/onboarding/onboarding-claim.ts`. Exports `handler`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Function timeout. @default 30 seconds */
  readonly timeout?: Duration;
  /** Memory in MiB. @default 256 */
  readonly memorySize?: number;
  /** Environment variables (names validated by functions/platform/config.ts at cold start). @default none */
  readonly environment?: Record<string, string>;
  /** Key that encrypts the log group. */
  readonly encryptionKey: kms.IKey;
  /** Log retention. @default three months */
  readonly logRetention?: logs.RetentionDays;
  /** Reserved concurrency. @default unreserved */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Decode stack traces with the source map at run time (`NODE_OPTIONS=--enable-source-maps`). Measured cost:
   * ~10 ms CPU at every cold start, and ~40 ms more on the first stack trace a container prints (bench/bundles.ts).
   * @default false: traces point into the minified bundle; its `.map` beside it decodes them offline
   */
  readonly runtimeSourceMaps?: boolean;
  /**
   * Where Lambda puts an asynchronous invocation that failed every retry (EventBridge targets). Its key must let
   * the function encrypt for it. @default none: the function is invoked synchronously, its caller retries
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * A Node 22 Lambda bundled the way docs/architecture.md §8 measured fastest: ESM, SDK bundled, module-first main fields,
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
        ...(props.runtimeSourceMaps ? { NODE_OPTIONS: RUNTIME_SOURCE_MAPS_NODE_OPTIONS } : {}),
        // Powertools adds it as the `service` dimension of every metric; the alarms match on it.
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        ...props.environment,
      },
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      deadLetterQueue: props.deadLetterQueue,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, "package-lock.json"),
      bundling: HANDLER_BUNDLING,
    });
    (this.function.node.defaultChild as CfnResource).addMetadata(HANDLER_ENTRY_METADATA, props.entry);
    this.acknowledgeNagFindings(props);
  }

  /** The cdk-nag findings every handler raises by design, each on this function or its role alone. */
  private acknowledgeNagFindings(props: HandlerFunctionProps): void {
    const fn = this.function;
    const role = fn.role as Construct;
    Validations.of(role).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      reason: "AWSLambdaBasicExecutionRole grants only the log writes the function's own log group needs.",
    });
    acknowledgeWildcardResource(
      fn,
      "*",
      "X-Ray (tracing on every function) takes no resource-level permissions.",
    );
    acknowledgeCdkInlinePolicy(
      role,
      "The function's role holds exactly its own grants as CDK's inline default policy, deleted with it.",
    );
    const acknowledge = (id: string, reason: string) => Validations.of(fn).acknowledge({ id, reason });
    acknowledge(
      "AwsSolutions::AwsSolutions-L1",
      "Node.js 22 is pinned on purpose: the bundles target node22 and were measured on it (docs/architecture.md §8).",
    );
    if (!props.deadLetterQueue) {
      acknowledge(
        "HIPAA.Security::HIPAA.Security-LambdaDLQ",
        "Invoked synchronously (Step Functions Task or API Gateway), so failures return to the caller that retries; a DLQ applies to asynchronous invocations only.",
      );
    }
    acknowledge(
      "HIPAA.Security::HIPAA.Security-LambdaInsideVPC",
      "The function calls only public AWS endpoints and the public Open Dental portal; there is nothing in a VPC for it to reach.",
    );
    if (props.reservedConcurrentExecutions === undefined) {
      acknowledge(
        "HIPAA.Security::HIPAA.Security-LambdaConcurrency",
        "Callers bound the concurrency (state machines, the shared portal rate limiter); reserving it per function would exhaust small accounts' quota.",
      );
    }
  }
}
