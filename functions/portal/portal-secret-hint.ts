// A 401 from the portal names the secret to check, so the operator reading the failure knows where to look.
import { PortalUnauthorized } from "../platform/errors.js";

/** A 401 says which secret to check; other errors pass through untouched. */
export function withSecretHint(error: unknown, secretName: string): unknown {
  if (error instanceof PortalUnauthorized) {
    return new PortalUnauthorized(
      `${error.message} — check the DeveloperKey/DeveloperPortalKey in secret ${secretName}`,
      { cause: error },
    );
  }
  return error;
}
