// The fingerprinter of the functions that first see a key (create, the reconciliation listing, `ops`): the HMAC
// secret read from Secrets Manager through Powertools' cache (docs/architecture.md §4). Imported only by those
// functions' runtimes, so the rest bundle no Secrets Manager client for it.
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsGetOptions } from "@aws-lambda-powertools/parameters/secrets/types";
import { KEY_CUSTODY_ENV } from "../../contracts/key-custody.js";
import { ConfigurationError, SecretsUnavailable } from "../platform/errors.js";
import {
  FINGERPRINT_SECRET_MAX_AGE_SECONDS,
  fingerprintCustomerKey,
  type KeyFingerprinter,
  MIN_FINGERPRINT_SECRET_BYTES,
} from "./key-fingerprint.js";

/** The fetch function (Powertools `getSecret` by default); tests pass one bound to a local endpoint. */
export type SecretFetcher = (name: string, options: SecretsGetOptions) => Promise<unknown>;

/**
 * A fingerprinter whose secret is the SecretString of `secretId` (at least 32 characters; CDK's generated
 * 64-character password fits), read through Powertools' cache like the portal credentials. The secret is never
 * rotated in place: every ledger and seen-set address depends on it (re-addressing is `ops migrate-keys`' job).
 */
export function keyFingerprinterFromSecret(
  secretId: string,
  fetchSecret: SecretFetcher = getSecret as SecretFetcher,
): KeyFingerprinter {
  return async (customerKey) => {
    let raw: unknown;
    try {
      raw = await fetchSecret(secretId, { maxAge: FINGERPRINT_SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw secretReadError(secretId, error);
    }
    const secret = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
    if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_FINGERPRINT_SECRET_BYTES)
      throw new ConfigurationError(
        `fingerprint secret ${secretId} must be a SecretString of at least ${MIN_FINGERPRINT_SECRET_BYTES} characters`,
      );
    return fingerprintCustomerKey(customerKey, secret);
  };
}

/**
 * Secrets Manager errors that no retry can fix (missing, no permission, undecryptable) are a ConfigurationError;
 * the rest (throttling, 5xx, network) SecretsUnavailable. The same split as functions/portal/portal-credentials.ts.
 */
const PERMANENT_SECRET_ERRORS = new Set([
  "ResourceNotFoundException",
  "AccessDeniedException",
  "DecryptionFailure",
  "InvalidRequestException",
  "InvalidParameterException",
  "UnrecognizedClientException",
]);

function secretReadError(secretId: string, error: unknown): Error {
  // Powertools wraps the SDK error in GetParameterError; the SDK's name says what went wrong.
  const reason = (error as { cause?: { name?: string } }).cause?.name ?? (error as Error).name ?? "Error";
  const message = `could not read the fingerprint secret ${secretId}: ${reason}`;
  return PERMANENT_SECRET_ERRORS.has(reason)
    ? new ConfigurationError(message, { cause: error })
    : new SecretsUnavailable(message, { cause: error });
}

/** The fingerprinter of KEY_FINGERPRINT_SECRET_ARN, read when the first key is fingerprinted. */
export function keyFingerprinterFromEnv(
  env: Record<string, string | undefined> = process.env,
): KeyFingerprinter {
  let fingerprinter: KeyFingerprinter | undefined;
  return (customerKey) => {
    if (!fingerprinter) {
      const secretId = env[KEY_CUSTODY_ENV.fingerprintSecret];
      if (!secretId)
        throw new ConfigurationError(`environment variable ${KEY_CUSTODY_ENV.fingerprintSecret} is not set`);
      fingerprinter = keyFingerprinterFromSecret(secretId);
    }
    return fingerprinter(customerKey);
  };
}
