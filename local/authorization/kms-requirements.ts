// The KMS calls a service makes with the caller's permissions when the resource is encrypted with a
// customer-managed key, with the encryption context and kms:ViaService the service sets.
// Step Functions: https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html (StartExecution
//   encrypts the input: GenerateDataKey; reading executions decrypts: Decrypt; context aws:states:stateMachineArn).
// Secrets Manager: https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
//   (GetSecretValue: Decrypt, PutSecretValue: GenerateDataKey; context SecretARN; via secretsmanager).
// DynamoDB: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html (the key
//   policy must let principals use the key through DynamoDB: kms:ViaService dynamodb).
// SQS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
//   (SendMessage: GenerateDataKey + Decrypt; context aws:sqs:arn). SNS likewise (aws:sns:topicArn).
import { LOCAL_REGION } from "../fake-aws.js";

export interface KmsRequirement {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

const STATES_GENERATE = new Set(["states:StartExecution", "states:StartSyncExecution"]);
const STATES_DECRYPT = new Set([
  "states:DescribeExecution",
  "states:GetExecutionHistory",
  "states:StopExecution",
  "states:DescribeStateMachine",
  "states:DescribeStateMachineForExecution",
]);

/** `arn:aws:states:r:a:execution:<machine>:<name>` → `arn:aws:states:r:a:stateMachine:<machine>`. */
export function stateMachineOfExecution(executionArn: string): string {
  const parts = executionArn.split(":");
  if (parts[5] !== "execution") return executionArn;
  return [...parts.slice(0, 5), "stateMachine", parts[6]].join(":");
}

function via(service: string): string {
  return `${service}.${LOCAL_REGION}.amazonaws.com`;
}

export function kmsRequirements(
  request: { readonly action: string; readonly resource: string },
  encryptionKeys: ReadonlyMap<string, string>,
): KmsRequirement[] {
  const [service = "", operation = ""] = request.action.split(":");
  switch (service) {
    case "states": {
      const machine = stateMachineOfExecution(request.resource);
      const key = encryptionKeys.get(machine);
      if (!key) return [];
      const context = {
        "kms:ViaService": via("states"),
        "kms:EncryptionContext:aws:states:stateMachineArn": machine,
      };
      if (STATES_GENERATE.has(request.action))
        return [{ action: "kms:GenerateDataKey", resource: key, context }];
      if (STATES_DECRYPT.has(request.action)) return [{ action: "kms:Decrypt", resource: key, context }];
      return [];
    }
    case "secretsmanager": {
      const key = encryptionKeys.get(request.resource);
      if (!key) return [];
      const context = {
        "kms:ViaService": via("secretsmanager"),
        "kms:EncryptionContext:SecretARN": request.resource,
      };
      if (operation === "GetSecretValue") return [{ action: "kms:Decrypt", resource: key, context }];
      if (operation === "PutSecretValue") return [{ action: "kms:GenerateDataKey", resource: key, context }];
      return [];
    }
    case "dynamodb": {
      // Index ARNs (`…/table/T/index/I`) are encrypted with their table's key.
      const table = request.resource.replace(/\/index\/.*$/, "");
      const key = encryptionKeys.get(table);
      if (!key) return [];
      const tableName = table.slice(table.indexOf(":table/") + ":table/".length);
      const context = {
        "kms:ViaService": via("dynamodb"),
        "kms:EncryptionContext:aws:dynamodb:tableName": tableName,
      };
      return [{ action: "kms:Decrypt", resource: key, context }];
    }
    case "sqs": {
      const key = encryptionKeys.get(request.resource);
      if (!key || operation !== "SendMessage") return [];
      const context = { "kms:ViaService": via("sqs"), "kms:EncryptionContext:aws:sqs:arn": request.resource };
      return [
        { action: "kms:GenerateDataKey", resource: key, context },
        { action: "kms:Decrypt", resource: key, context },
      ];
    }
    case "sns": {
      const key = encryptionKeys.get(request.resource);
      if (!key || operation !== "Publish") return [];
      const context = {
        "kms:ViaService": via("sns"),
        "kms:EncryptionContext:aws:sns:topicArn": request.resource,
      };
      return [
        { action: "kms:GenerateDataKey", resource: key, context },
        { action: "kms:Decrypt", resource: key, context },
      ];
    }
    default:
      return [];
  }
}
