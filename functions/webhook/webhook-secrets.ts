// The CRM webhook signing secrets, read from Secrets Manager (cached) and validated. Values never leave this
// module in an error or log line.
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { ConfigurationError } from "../platform/errors.js";

/** How long a fetched secret value is reused before Secrets Manager is asked again. */
export const WEBHOOK_SECRET_MAX_AGE_SECONDS = 300;

const STANDARD_WEBHOOKS_SECRET = /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True for a Standard Webhooks secret: `whsec_` followed by non-empty, well-padded base64. */
export function isStandardWebhooksSecret(value: string): boolean {
  return value.length > "whsec_".length && STANDARD_WEBHOOKS_SECRET.test(value);
}

/**
 * Parses the stored secret value: `{"secrets": ["whsec_new", "whsec_old"]}` (newest first; during a rotation
 * both are listed) or one bare `whsec_…` string.
 * @throws ConfigurationError saying what is malformed (never the value itself).
 */
export function parseWebhookSecretValue(value: unknown, secretId: string): string[] {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigurationError(`Webhook signing secret ${secretId} has no string value`);
  }
  const text = value.trim();
  if (text.startsWith("whsec_")) {
    if (!isStandardWebhooksSecret(text)) {
      throw new ConfigurationError(
        `Webhook signing secret ${secretId} is not a Standard Webhooks secret ("whsec_" followed by base64)`,
      );
    }
    return [text];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationError(
      `Webhook signing secret ${secretId} is neither JSON {"secrets": ["whsec_…"]} nor a bare "whsec_…" string`,
    );
  }
  const secrets = (parsed as { secrets?: unknown } | null)?.secrets;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new ConfigurationError(
      `Webhook signing secret ${secretId} must hold {"secrets": ["whsec_…", …]} with at least one secret`,
    );
  }
  secrets.forEach((secret, index) => {
    if (typeof secret !== "string" || !isStandardWebhooksSecret(secret)) {
      throw new ConfigurationError(
        `Webhook signing secret ${secretId}: secrets[${index}] is not a Standard Webhooks secret ("whsec_" followed by base64)`,
      );
    }
  });
  return secrets as string[];
}

/** Fetches a secret's string value; the default goes through Powertools' cached Secrets Manager provider. */
export type SecretFetcher = (secretId: string, options: { maxAge: number }) => Promise<unknown>;

const fetchWithPowertools: SecretFetcher = (secretId, options) => getSecret(secretId, options);

/**
 * Returns a function that yields the current signing secrets, newest first. The value is cached for
 * `maxAgeSeconds`, so after adding a new secret wait that long before the CRM signs with it.
 * Every failure, whether Secrets Manager is unreachable or the value is malformed, is a ConfigurationError.
 */
export function createWebhookSecretsReader(
  secretId: string,
  options: { maxAgeSeconds?: number; fetch?: SecretFetcher } = {},
): () => Promise<string[]> {
  const fetch = options.fetch ?? fetchWithPowertools;
  const maxAge = options.maxAgeSeconds ?? WEBHOOK_SECRET_MAX_AGE_SECONDS;
  return async () => {
    let value: unknown;
    try {
      value = await fetch(secretId, { maxAge });
    } catch (error) {
      // The SDK's error names the secret and the reason (AccessDenied, throttling), never its value.
      throw new ConfigurationError(
        `Webhook signing secret ${secretId} could not be read: ${(error as Error).name}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return parseWebhookSecretValue(value, secretId);
  };
}
