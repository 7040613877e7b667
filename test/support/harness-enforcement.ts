// The local stack's IAM/KMS enforcement for the engine harnesses (onboarding-harness.ts, reconciliation-harness.ts):
// the functions reach DynamoDB through the authorizing proxy and Step Functions / Secrets Manager through the
// authorizing endpoint, so a grant missing from the template fails the workflow suite as it would fail on AWS.
// On by default, as in `npm start`; `iam: false` is the same escape hatch as `npm start -- --no-iam`.

import type { LocalDenial } from "../../local/authorization/local-authorization.js";
import { startLocalEnforcement } from "../../local/authorization/local-enforcement.js";
import type { LocalAwsEndpointOptions } from "../../local/aws-json-endpoint.js";
import type { SynthesizedStack } from "../../local/cloudformation-template.js";
import { localKmsService } from "../../local/kms/kms-service.js";
import { LocalKms } from "../../local/kms/local-kms.js";

/** The terminal's stderr, taken before any harness replaces process.stderr.write to capture the functions' logs. */
const writeToTerminal = process.stderr.write.bind(process.stderr);

export interface HarnessEnforcement {
  /** For the functions' AWS_ENDPOINT_URL_DYNAMODB: the proxy, or DynamoDB Local itself without enforcement. */
  readonly dynamoDbEndpoint: string;
  /** For startLocalAwsEndpoint: the authorizer, and the template's KMS keys (authorized the same way). */
  readonly endpointOptions: Pick<LocalAwsEndpointOptions, "authorize" | "services">;
  /** Every refusal so far (each is a grant the template lacks, or a call the code should not make). */
  readonly denials: LocalDenial[];
  close(): Promise<void>;
}

export async function startHarnessEnforcement(options: {
  readonly templates: readonly SynthesizedStack[];
  readonly resourceNames: Readonly<Record<string, string>>;
  readonly dynamoDbLocalEndpoint: string;
  /** @default true */
  readonly iam?: boolean;
}): Promise<HarnessEnforcement> {
  const denials: LocalDenial[] = [];
  if (options.iam === false)
    return {
      dynamoDbEndpoint: options.dynamoDbLocalEndpoint,
      endpointOptions: { services: [localKmsService(LocalKms.fromTemplates(options.templates))] },
      denials,
      close: async () => {},
    };
  const enforcement = await startLocalEnforcement({
    templates: options.templates,
    resourceNames: options.resourceNames,
    dynamoDbLocalEndpoint: options.dynamoDbLocalEndpoint,
    onDenied: (denial) => {
      denials.push(denial);
      // As the local stack logs it, on the terminal even while a harness captures the functions' output.
      writeToTerminal(
        `IAM: denied ${denial.deniedAction} on ${denial.deniedResource} to ${denial.principal} (${denial.errorType})\n`,
      );
    },
  });
  return {
    dynamoDbEndpoint: enforcement.dynamoDbEndpoint,
    endpointOptions: {
      authorize: enforcement.authorizeAwsJson,
      services: [
        localKmsService(LocalKms.fromTemplates(options.templates, { authorize: enforcement.authorizeKms })),
      ],
    },
    denials,
    close: () => enforcement.close(),
  };
}
