// The keyed fingerprint: HMAC-SHA-256 as RFC 4231 specifies it, stable for one secret, unrelated across secrets,
// and its secret read from Secrets Manager through Powertools' cache.
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fingerprintCustomerKey,
  isKeyFingerprint,
  shortFingerprint,
} from "../../../functions/key-custody/key-fingerprint.js";
import {
  keyFingerprinterFromSecret,
  type SecretFetcher,
} from "../../../functions/key-custody/key-fingerprint-secret.js";
import { ConfigurationError } from "../../../functions/platform/errors.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../../local/dynamodb-local.js";
import { type FakeSecretsManager, startFakeSecretsManager } from "../../support/fake-secrets-manager.js";

const KEY = "QJXZR4PNK5B8W2HD";
const SECRET = new TextEncoder().encode("f".repeat(64));
const OTHER_SECRET = new TextEncoder().encode("g".repeat(64));

describe("fingerprintCustomerKey", () => {
  it("is HMAC-SHA-256 of the key under the secret (RFC 4231 test case 6)", () => {
    const rfcKey = new Uint8Array(131).fill(0xaa);
    expect(fingerprintCustomerKey("Test Using Larger Than Block-Size Key - Hash Key First", rfcKey)).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    );
  });

  it("is stable for one secret: the full 64-hex address form, and its 6-hex display form", () => {
    const fingerprint = fingerprintCustomerKey(KEY, SECRET);
    expect(fingerprintCustomerKey(KEY, SECRET)).toBe(fingerprint);
    expect(isKeyFingerprint(fingerprint)).toBe(true);
    expect(shortFingerprint(fingerprint)).toBe(fingerprint.slice(0, 6));
    expect(shortFingerprint(fingerprint)).toMatch(/^[0-9a-f]{6}$/);
  });

  it("is keyed: another secret gives an unrelated fingerprint, and so does a key one character away", () => {
    const fingerprint = fingerprintCustomerKey(KEY, SECRET);
    expect(fingerprintCustomerKey(KEY, OTHER_SECRET)).not.toBe(fingerprint);
    expect(fingerprintCustomerKey(`${KEY.slice(0, 15)}E`, SECRET)).not.toBe(fingerprint);
  });

  it("refuses a secret shorter than 32 bytes and an empty key, without echoing either", () => {
    const short = new TextEncoder().encode("s".repeat(31));
    expect(() => fingerprintCustomerKey(KEY, short)).toThrow(ConfigurationError);
    expect(() => fingerprintCustomerKey(KEY, short)).not.toThrow(/s{8}|QJXZ/);
    expect(() => fingerprintCustomerKey("", SECRET)).toThrow(/non-empty/);
  });

  it("tells a fingerprint from a key and from the short form", () => {
    expect(isKeyFingerprint(KEY)).toBe(false);
    expect(isKeyFingerprint("3f9a1c")).toBe(false);
    expect(isKeyFingerprint("A".repeat(64))).toBe(false);
  });
});

describe("keyFingerprinterFromSecret", () => {
  let secretsManager: FakeSecretsManager;
  beforeAll(async () => {
    secretsManager = await startFakeSecretsManager();
  });
  afterAll(() => secretsManager.close());

  /** A fresh Powertools provider (own cache) on the fake endpoint, as portal-credentials' test does. */
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

  it("fingerprints with the SecretString, fetched once and then served from the cache", async () => {
    secretsManager.setSecret("fingerprint-cached", "f".repeat(64));
    const fingerprint = keyFingerprinterFromSecret("fingerprint-cached", fetcher());
    expect(await fingerprint(KEY)).toBe(fingerprintCustomerKey(KEY, SECRET));
    await fingerprint("ABCDEFGHJKLMNPQR");
    expect(secretsManager.requests.filter((id) => id === "fingerprint-cached")).toHaveLength(1);
  });

  it("refuses a secret too short to key an HMAC, naming the secret and not its value", async () => {
    secretsManager.setSecret("fingerprint-short", "tooshortsecret");
    const fingerprint = keyFingerprinterFromSecret("fingerprint-short", fetcher());
    const error = (await fingerprint(KEY).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain("fingerprint-short");
    expect(error.message).not.toContain("tooshortsecret");
    expect(error.message).not.toContain(KEY);
  });

  it("makes a missing secret a ConfigurationError", async () => {
    const fingerprint = keyFingerprinterFromSecret("fingerprint-missing", fetcher());
    await expect(fingerprint(KEY)).rejects.toThrow(ConfigurationError);
    await expect(fingerprint(KEY)).rejects.toThrow(/fingerprint-missing: ResourceNotFoundException/);
  });
});
