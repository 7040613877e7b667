import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError, SecretsUnavailable } from "../../../functions/platform/errors.js";
import {
  portalCredentialsFromSecret,
  type SecretFetcher,
} from "../../../functions/portal/portal-credentials.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/dynamodb-local.js";
import { type FakeSecretsManager, startFakeSecretsManager } from "../../support/fake-secrets-manager.js";

let secretsManager: FakeSecretsManager;

beforeAll(async () => {
  secretsManager = await startFakeSecretsManager();
});
afterAll(() => secretsManager.close());

/** A fresh Powertools provider (own cache) on the fake endpoint. */
function fetcher(): SecretFetcher {
  const provider = new SecretsProvider({
    awsSdkV3Client: new SecretsManagerClient({
      endpoint: secretsManager.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
  });
  return (name, options) => provider.get(name, options);
}

const GOOD = JSON.stringify({ developerKey: "DEVKEY0123456789", developerPortalKey: "PORTALKEY0123456789" });

describe("portalCredentialsFromSecret", () => {
  it("returns the validated credentials and serves repeats from the cache", async () => {
    secretsManager.setSecret("creds-cached", GOOD);
    const credentials = portalCredentialsFromSecret("creds-cached", fetcher());
    expect(await credentials()).toEqual({
      developerKey: "DEVKEY0123456789",
      developerPortalKey: "PORTALKEY0123456789",
    });
    await credentials();
    expect(secretsManager.requests.filter((id) => id === "creds-cached")).toHaveLength(1);
  });

  it("asks Secrets Manager again when forced to refresh (after a 401)", async () => {
    secretsManager.setSecret("creds-rotated", GOOD);
    const credentials = portalCredentialsFromSecret("creds-rotated", fetcher());
    await credentials();
    secretsManager.setSecret(
      "creds-rotated",
      JSON.stringify({ developerKey: "DEVKEYROTATED000", developerPortalKey: "PORTALKEYROTATED000" }),
    );
    expect(await credentials({ forceRefresh: true })).toEqual({
      developerKey: "DEVKEYROTATED000",
      developerPortalKey: "PORTALKEYROTATED000",
    });
    expect(secretsManager.requests.filter((id) => id === "creds-rotated")).toHaveLength(2);
  });

  it("names the secret and the missing field, never the value, when a field is empty", async () => {
    secretsManager.setSecret(
      "creds-empty",
      JSON.stringify({ developerKey: "DEVKEY0123456789", developerPortalKey: " " }),
    );
    const error = await portalCredentialsFromSecret("creds-empty", fetcher())().catch((e: unknown) => e);
    expect(error).toEqual(
      new ConfigurationError(
        'portal credentials secret creds-empty has no non-empty string "developerPortalKey"; ' +
          'expected {"developerKey": "...", "developerPortalKey": "..."}',
      ),
    );
    expect((error as Error).message).not.toContain("DEVKEY0123456789");
  });

  it("says the secret is not JSON when it holds plain text", async () => {
    secretsManager.setSecret("creds-text", "DEVKEY0123456789/PORTALKEY0123456789");
    await expect(portalCredentialsFromSecret("creds-text", fetcher())()).rejects.toThrow(
      new ConfigurationError(
        'portal credentials secret creds-text is not JSON; expected {"developerKey": "...", "developerPortalKey": "..."}',
      ),
    );
  });

  it("names the secret it could not read", async () => {
    await expect(portalCredentialsFromSecret("creds-missing", fetcher())()).rejects.toThrow(
      new ConfigurationError(
        "could not read the portal credentials secret creds-missing: ResourceNotFoundException",
      ),
    );
  });

  it("reports a throttled or unreachable Secrets Manager as retryable SecretsUnavailable, not a bad secret", async () => {
    // Nothing local throttles, so the fetcher throws what Powertools throws around a throttled SDK call.
    const throttled: SecretFetcher = async () => {
      throw Object.assign(new Error("Failed to get secret"), {
        name: "GetParameterError",
        cause: Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }),
      });
    };
    const error = await portalCredentialsFromSecret("creds-busy", throttled)().catch((e: unknown) => e);
    expect(error).toEqual(
      new SecretsUnavailable("could not read the portal credentials secret creds-busy: ThrottlingException"),
    );
    expect((error as SecretsUnavailable).retryable).toBe(true);
  });
});
