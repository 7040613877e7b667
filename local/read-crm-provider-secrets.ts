// Reads a running local stack's CRM provider secrets through its Secrets Manager endpoint (`npm run webhook`).
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import {
  type CrmProviderSecrets,
  parseCrmProviderSecrets,
} from "../functions/webhook/crm-provider-secrets.js";
import { localSecretsManagerClient } from "./local-clients.js";
import { type LocalEndpoints, STACK_OUTPUTS } from "./local-endpoints.js";

/** The running local stack's provider secrets, read as the CRM's operator would (for `npm run webhook`). */
export async function readLocalCrmProviderSecrets(endpoints: LocalEndpoints): Promise<CrmProviderSecrets> {
  const secretId = endpoints.outputs[STACK_OUTPUTS.crmProviderSecret];
  if (!secretId)
    throw new Error("the local stack has no CRM provider secret (CrmProviderSecretArn output missing)");
  const client = localSecretsManagerClient(endpoints);
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return parseCrmProviderSecrets(SecretString, secretId);
  } finally {
    client.destroy();
  }
}
