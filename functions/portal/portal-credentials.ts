// Reads the portal credentials from Secrets Manager through Powertools' cached getSecret, validated.
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsGetOptions } from "@aws-lambda-powertools/parameters/secrets/types";
import * as z from "zod/mini";
import { ConfigurationError, SecretsUnavailable } from "../platform/errors.js";
import type { PortalCredentials } from "./portal-types.js";

/** How long a fetched secret is reused before Secrets Manager is asked again. */
export const CREDENTIALS_MAX_AGE_SECONDS = 300;

const credentialsSchema = z.object({
  developerKey: z.string().check(z.trim(), z.minLength(1)),
  developerPortalKey: z.string().check(z.trim(), z.minLength(1)),
});

/**
 * Secrets Manager errors that mean the secret itself is wrong or unreachable by design (missing, no permission,
 * undecryptable): retrying cannot help. Anything else (throttling, 5xx, network) is transient.
 */
const PERMANENT_SECRET_ERRORS = new Set([
  "ResourceNotFoundException",
  "AccessDeniedException",
  "DecryptionFailure",
  "InvalidRequestException",
  "InvalidParameterException",
  "UnrecognizedClientException",
]);

/** The fetch function (Powertools `getSecret` by default); tests pass a provider bound to a local endpoint. */
export type SecretFetcher = (name: string, options: SecretsGetOptions) => Promise<unknown>;

export type PortalCredentialsSource = (opts?: { forceRefresh?: boolean }) => Promise<PortalCredentials>;

/**
 * A credentials source for `createPortalClient`: cached for 5 minutes; `forceRefresh` (after a 401) skips the
 * cache so a rotated secret is picked up. A bad secret value is a ConfigurationError naming the secret and the
 * field, never the value.
 */
export function portalCredentialsFromSecret(
  secretId: string,
  fetchSecret: SecretFetcher = getSecret as SecretFetcher,
): PortalCredentialsSource {
  return async (opts = {}) => {
    let raw: unknown;
    try {
      raw = await fetchSecret(secretId, {
        maxAge: CREDENTIALS_MAX_AGE_SECONDS,
        forceFetch: opts.forceRefresh === true,
      });
    } catch (error) {
      // Powertools wraps the SDK error in GetParameterError; the SDK's name says what went wrong.
      const cause = (error as { cause?: { name?: string } }).cause;
      const reason = cause?.name ?? (error as Error).name ?? "Error";
      const message = `could not read the portal credentials secret ${secretId}: ${reason}`;
      if (PERMANENT_SECRET_ERRORS.has(reason)) throw new ConfigurationError(message, { cause: error });
      throw new SecretsUnavailable(message, { cause: error });
    }
    return parseCredentials(secretId, raw);
  };
}

function parseCredentials(secretId: string, raw: unknown): PortalCredentials {
  let value: unknown = raw;
  if (raw instanceof Uint8Array) value = new TextDecoder().decode(raw);
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ConfigurationError(
        `portal credentials secret ${secretId} is not JSON; expected {"developerKey": "...", "developerPortalKey": "..."}`,
      );
    }
  }
  const result = z.safeParse(credentialsSchema, value);
  if (!result.success) {
    const field = result.error.issues[0]?.path[0];
    const what = field === undefined ? "is not a JSON object" : `has no non-empty string "${String(field)}"`;
    throw new ConfigurationError(
      `portal credentials secret ${secretId} ${what}; expected {"developerKey": "...", "developerPortalKey": "..."}`,
    );
  }
  return result.data;
}
