// AWS SDK clients pointed at a running local stack (from .local/endpoints.json), as `ops --local` and scripts use them.
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseWebhookSecretValue } from "../functions/webhook/webhook-secrets.js";
import { LOCAL_CREDENTIALS } from "./dynamodb-local.js";
import { type LocalEndpoints, STACK_OUTPUTS } from "./local-stack.js";

export function localSecretsManagerClient(endpoints: LocalEndpoints): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: endpoints.awsEndpoint,
    region: endpoints.region,
    credentials: LOCAL_CREDENTIALS,
  });
}

/** The newest webhook signing secret of the running local stack, read as the CRM's operator would. */
export async function readLocalWebhookSecret(endpoints: LocalEndpoints): Promise<string> {
  const secretId = endpoints.outputs[STACK_OUTPUTS.webhookSecret];
  if (!secretId)
    throw new Error("the local stack has no webhook signing secret (WebhookSecretArn output missing)");
  const client = localSecretsManagerClient(endpoints);
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    const [newest] = parseWebhookSecretValue(SecretString, secretId);
    if (!newest) throw new Error("the webhook signing secret holds no secret");
    return newest;
  } finally {
    client.destroy();
  }
}
