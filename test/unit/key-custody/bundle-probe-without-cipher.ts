// Bundle probe: a handler with the SDK clients the decrypting functions already carry (DynamoDB, Secrets Manager).
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

const dynamodb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});

export const handler = async (event: { practiceId: string }) => [
  await dynamodb.send(new GetItemCommand({ TableName: "t", Key: { pk: { S: event.practiceId } } })),
  await secrets.send(new GetSecretValueCommand({ SecretId: "s" })),
];
