// The HubSpot client secrets and Salesforce path tokens, read from one Secrets Manager secret (cached) and
// validated. Two of each are accepted during a rotation (docs/architecture.md §5); values never appear in an
// error or a log line.
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import * as z from "zod/mini";
import { ConfigurationError } from "../platform/errors.js";
import { WEBHOOK_SECRET_MAX_AGE_SECONDS } from "./webhook-secrets.js";

export interface CrmProviderSecrets {
  /** HubSpot app client secrets, newest first. */
  readonly hubspotClientSecrets: readonly string[];
  /** Salesforce outbound-message path tokens, newest first. */
  readonly salesforcePathTokens: readonly string[];
}

// A token travels in the URL path, so it is limited to URL-safe characters; 32+ of them is ≥ 190 bits.
const pathToken = z.string().check(z.regex(/^[A-Za-z0-9_-]{32,128}$/));
const clientSecret = z.string().check(z.minLength(8), z.maxLength(256));
const schema = z.strictObject({
  hubspotClientSecrets: z.optional(z.array(clientSecret).check(z.minLength(1), z.maxLength(2))),
  salesforcePathTokens: z.optional(z.array(pathToken).check(z.minLength(1), z.maxLength(2))),
});

/** The documented value: `{"hubspotClientSecrets": ["new", "old"], "salesforcePathTokens": ["new", "old"]}`. */
export const CRM_PROVIDER_SECRET_SHAPE =
  '{"hubspotClientSecrets": ["<client secret>", …], "salesforcePathTokens": ["<32-128 of A-Za-z0-9_->", …]}';

/**
 * Parses the stored value. A provider that is not configured gets an empty list (every delivery refused 401).
 * @throws ConfigurationError naming the field that is malformed, never its value.
 */
export function parseCrmProviderSecrets(value: unknown, secretId: string): CrmProviderSecrets {
  let parsed: unknown;
  try {
    parsed = typeof value === "string" ? JSON.parse(value) : undefined;
  } catch {
    parsed = undefined;
  }
  const result = z.safeParse(schema, parsed);
  if (!result.success) {
    const path = result.error.issues[0]?.path.join(".") || "(value)";
    throw new ConfigurationError(
      `CRM provider secret ${secretId}: ${path} is malformed; expected ${CRM_PROVIDER_SECRET_SHAPE} (1-2 of each, newest first)`,
    );
  }
  return {
    hubspotClientSecrets: result.data.hubspotClientSecrets ?? [],
    salesforcePathTokens: result.data.salesforcePathTokens ?? [],
  };
}

export type SecretFetcher = (secretId: string, options: { maxAge: number }) => Promise<unknown>;

/** Cached reader (Powertools); after adding a new secret wait WEBHOOK_SECRET_MAX_AGE_SECONDS before using it. */
export function createCrmProviderSecretsReader(
  secretId: string,
  fetch: SecretFetcher = (id, options) => getSecret(id, options),
): () => Promise<CrmProviderSecrets> {
  return async () => {
    let value: unknown;
    try {
      value = await fetch(secretId, { maxAge: WEBHOOK_SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw new ConfigurationError(
        `CRM provider secret ${secretId} could not be read: ${(error as Error).name}`,
        { cause: error },
      );
    }
    return parseCrmProviderSecrets(value, secretId);
  };
}
