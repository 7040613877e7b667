import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../../functions/platform/errors.js";
import {
  createWebhookSecretsReader,
  isStandardWebhooksSecret,
  parseWebhookSecretValue,
  WEBHOOK_SECRET_MAX_AGE_SECONDS,
} from "../../../functions/webhook/webhook-secrets.js";

const SECRET_ID = "practice-onboarding/webhook-signing";
const NEW = `whsec_${Buffer.from("new signing secret, 32 bytes ok!").toString("base64")}`;
const OLD = `whsec_${Buffer.from("old signing secret!").toString("base64")}`;

function configurationError(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error("expected a ConfigurationError");
}

describe("isStandardWebhooksSecret", () => {
  it.each([NEW, OLD, "whsec_AAAA", "whsec_AA=="])("accepts %s", (secret) => {
    expect(isStandardWebhooksSecret(secret)).toBe(true);
  });

  it.each(["whsec_", "whsec_AAA", "whsec_AA!A", "AAAA", "whsec_AAAA\n", " whsec_AAAA"])(
    "rejects %j",
    (secret) => {
      expect(isStandardWebhooksSecret(secret)).toBe(false);
    },
  );
});

describe("parseWebhookSecretValue", () => {
  it("returns the secrets of a JSON value, newest first", () => {
    expect(parseWebhookSecretValue(JSON.stringify({ secrets: [NEW, OLD] }), SECRET_ID)).toEqual([NEW, OLD]);
  });

  it("accepts one bare whsec_ string", () => {
    expect(parseWebhookSecretValue(` ${NEW}\n`, SECRET_ID)).toEqual([NEW]);
  });

  it("names the malformed entry without showing any value", () => {
    const error = configurationError(() =>
      parseWebhookSecretValue(JSON.stringify({ secrets: [NEW, "hunter2"] }), SECRET_ID),
    );
    expect(error.message).toBe(
      'Webhook signing secret practice-onboarding/webhook-signing: secrets[1] is not a Standard Webhooks secret ("whsec_" followed by base64)',
    );
  });

  it("rejects an empty list", () => {
    expect(configurationError(() => parseWebhookSecretValue('{"secrets": []}', SECRET_ID)).message).toBe(
      'Webhook signing secret practice-onboarding/webhook-signing must hold {"secrets": ["whsec_…", …]} with at least one secret',
    );
  });

  it("rejects a value that is neither JSON nor whsec_ without showing it", () => {
    const error = configurationError(() => parseWebhookSecretValue("hunter2", SECRET_ID));
    expect(error.message).toBe(
      'Webhook signing secret practice-onboarding/webhook-signing is neither JSON {"secrets": ["whsec_…"]} nor a bare "whsec_…" string',
    );
  });

  it("rejects a bare whsec_ value that is not base64", () => {
    expect(configurationError(() => parseWebhookSecretValue("whsec_not base64!", SECRET_ID)).message).toBe(
      'Webhook signing secret practice-onboarding/webhook-signing is not a Standard Webhooks secret ("whsec_" followed by base64)',
    );
  });

  it("rejects a missing or binary value", () => {
    expect(configurationError(() => parseWebhookSecretValue(undefined, SECRET_ID)).message).toBe(
      "Webhook signing secret practice-onboarding/webhook-signing has no string value",
    );
    expect(configurationError(() => parseWebhookSecretValue(new Uint8Array([1]), SECRET_ID)).name).toBe(
      "ConfigurationError",
    );
  });
});

describe("createWebhookSecretsReader", () => {
  it("asks for the secret with a five-minute cache", async () => {
    const requests: unknown[] = [];
    const read = createWebhookSecretsReader(SECRET_ID, {
      fetch: async (id, options) => {
        requests.push([id, options]);
        return NEW;
      },
    });

    expect(await read()).toEqual([NEW]);
    expect(requests).toEqual([[SECRET_ID, { maxAge: 300 }]]);
    expect(WEBHOOK_SECRET_MAX_AGE_SECONDS).toBe(300);
  });

  it("turns a failed read into a ConfigurationError naming the secret and the cause", async () => {
    const read = createWebhookSecretsReader(SECRET_ID, {
      fetch: async () => {
        throw Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" });
      },
    });

    await expect(read()).rejects.toThrow(
      new ConfigurationError(
        "Webhook signing secret practice-onboarding/webhook-signing could not be read: AccessDeniedException: User is not authorized",
      ),
    );
  });
});
