// Published on-demand prices (us-east-1) the benchmark turns counts into dollars with, and where they come from.

export interface PriceSheet {
  readonly region: "us-east-1";
  /** When the prices below were last checked (against stored copies of the pages in `sources`). */
  readonly checkedOn: string;
  readonly stepFunctionsPerStateTransition: number;
  readonly lambdaPerRequest: number;
  readonly lambdaPerGbSecond: { readonly x86_64: number; readonly arm64: number };
  /** On-demand write / read request units (prices halved on 2024-11-01). */
  readonly dynamoDbPerWriteRequestUnit: number;
  readonly dynamoDbPerReadRequestUnit: number;
  readonly secretsManagerPerApiCall: number;
  /** Symmetric KMS requests (Encrypt, Decrypt) on the custody key; its $1 a month is not per onboarding. */
  readonly kmsPerRequest: number;
  /** HTTP API, first 300 million requests a month. */
  readonly httpApiPerRequest: number;
  /** Custom events put on an event bus (each 64 KB chunk). */
  readonly eventBridgePerEvent: number;
  /** Log data ingested (standard class). */
  readonly cloudWatchLogsPerGbIngested: number;
  readonly sources: Readonly<Record<string, string>>;
}

/** Free tiers are ignored: the figures are what 1,000 more onboardings add to a bill. */
export const US_EAST_1_PRICES: PriceSheet = {
  region: "us-east-1",
  checkedOn: "2026-11-26",
  stepFunctionsPerStateTransition: 0.025 / 1_000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
  dynamoDbPerWriteRequestUnit: 0.625 / 1_000_000,
  dynamoDbPerReadRequestUnit: 0.125 / 1_000_000,
  secretsManagerPerApiCall: 0.05 / 10_000,
  kmsPerRequest: 0.03 / 10_000,
  httpApiPerRequest: 1.0 / 1_000_000,
  eventBridgePerEvent: 1.0 / 1_000_000,
  cloudWatchLogsPerGbIngested: 0.5,
  sources: {
    stepFunctions:
      "https://aws.amazon.com/step-functions/pricing/ ($0.025 per 1,000 state transitions, us-east-1)",
    lambda:
      "https://aws.amazon.com/lambda/pricing/ ($0.20 per 1M requests; $0.0000166667 x86 / $0.0000133334 arm64 per GB-s, first tier)",
    dynamoDb:
      "https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per 1M WRU, $0.125 per 1M RRU since the 2024-11-01 on-demand price cut; the older $1.25 / $0.25 are pre-cut)",
    secretsManager: "https://aws.amazon.com/secrets-manager/pricing/ ($0.05 per 10,000 API calls)",
    kms: "https://aws.amazon.com/kms/pricing/ ($0.03 per 10,000 symmetric requests; $1 per key-month, not per run)",
    apiGateway: "https://aws.amazon.com/api-gateway/pricing/ (HTTP API $1.00 per 1M requests, first 300M)",
    eventBridge: "https://aws.amazon.com/eventbridge/pricing/ ($1.00 per 1M custom events)",
    cloudWatchLogs: "https://aws.amazon.com/cloudwatch/pricing/ ($0.50 per GB ingested, standard logs)",
  },
};
