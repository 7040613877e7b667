// The local stack's configuration, read from environment variables; each bad value is named in the error.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { isStandardWebhooksSecret } from "../functions/webhook/webhook-secrets.js";

export interface LocalStackConfig {
  /** Portal to use; undefined → start the built-in simulator. */
  readonly openDentalBaseUrl?: string;
  readonly developerKey?: string;
  readonly developerPortalKey?: string;
  /** Standard Webhooks secret (`whsec_…`); undefined → generate one. */
  readonly webhookSecret?: string;
  readonly port: number;
  /** Persist DynamoDB Local here; undefined → in memory. */
  readonly dataDir?: string;
  readonly portalMaxRps: number;
  /** Where endpoints.json, events.jsonl and lambda.log go; undefined → `<project>/.local`. */
  readonly stateDir?: string;
}

/** Every variable readLocalStackConfig reads, for help texts and the README. */
export const LOCAL_STACK_VARIABLES = [
  "OPEN_DENTAL_BASE_URL",
  "OPEN_DENTAL_DEVELOPER_KEY",
  "OPEN_DENTAL_DEVELOPER_PORTAL_KEY",
  "WEBHOOK_SECRET",
  "LOCAL_PORT",
  "LOCAL_DATA_DIR",
  "PORTAL_MAX_RPS",
  "PRACTICE_ONBOARDING_STATE_DIR",
] as const;

export class LocalConfigError extends Error {
  override readonly name = "LocalConfigError";
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** Validates the variables docs/architecture.md §4b names; throws LocalConfigError naming the first bad one. */
export function readLocalStackConfig(env: NodeJS.ProcessEnv = process.env): LocalStackConfig {
  const baseUrl = nonEmpty(env, "OPEN_DENTAL_BASE_URL");
  if (baseUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.search !== "" || url.hash !== "")
      throw new LocalConfigError(
        `OPEN_DENTAL_BASE_URL must be an http(s) URL without query or fragment, such as https://api.opendental.com/api/v1, got "${baseUrl}"`,
      );
  }
  const developerKey = nonEmpty(env, "OPEN_DENTAL_DEVELOPER_KEY");
  const developerPortalKey = nonEmpty(env, "OPEN_DENTAL_DEVELOPER_PORTAL_KEY");
  if ((developerKey === undefined) !== (developerPortalKey === undefined))
    throw new LocalConfigError(
      `${developerKey === undefined ? "OPEN_DENTAL_DEVELOPER_KEY" : "OPEN_DENTAL_DEVELOPER_PORTAL_KEY"} must be set together with ${developerKey === undefined ? "OPEN_DENTAL_DEVELOPER_PORTAL_KEY" : "OPEN_DENTAL_DEVELOPER_KEY"}`,
    );
  if (baseUrl !== undefined && developerKey === undefined)
    throw new LocalConfigError(
      "OPEN_DENTAL_DEVELOPER_KEY and OPEN_DENTAL_DEVELOPER_PORTAL_KEY must be set when OPEN_DENTAL_BASE_URL points at another portal",
    );
  for (const [name, value] of [
    ["OPEN_DENTAL_DEVELOPER_KEY", developerKey],
    ["OPEN_DENTAL_DEVELOPER_PORTAL_KEY", developerPortalKey],
  ] as const) {
    if (value !== undefined && /[\s/]/.test(value))
      throw new LocalConfigError(
        `${name} must not contain spaces or "/" (it goes into "ODFHIR {DeveloperKey}/{DeveloperPortalKey}")`,
      );
  }
  const webhookSecret = nonEmpty(env, "WEBHOOK_SECRET");
  if (webhookSecret !== undefined && !isStandardWebhooksSecret(webhookSecret))
    throw new LocalConfigError(
      'WEBHOOK_SECRET must be a Standard Webhooks secret: "whsec_" followed by base64',
    );
  const portText = nonEmpty(env, "LOCAL_PORT") ?? "3000";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new LocalConfigError(`LOCAL_PORT must be a port number from 1 to 65535, got "${portText}"`);
  const rpsText = nonEmpty(env, "PORTAL_MAX_RPS") ?? "1";
  const portalMaxRps = Number(rpsText);
  if (!Number.isFinite(portalMaxRps) || portalMaxRps <= 0 || portalMaxRps > 1000)
    throw new LocalConfigError(
      `PORTAL_MAX_RPS must be a number of requests per second above 0 and at most 1000, got "${rpsText}"`,
    );
  const dataDir = directoryVariable(env, "LOCAL_DATA_DIR");
  const stateDir = directoryVariable(env, "PRACTICE_ONBOARDING_STATE_DIR");
  return {
    openDentalBaseUrl: baseUrl?.replace(/\/+$/, ""),
    developerKey,
    developerPortalKey,
    webhookSecret,
    port,
    dataDir,
    portalMaxRps,
    stateDir,
  };
}

/** A directory that may not exist yet (it is created), but must not be a file. */
function directoryVariable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const text = nonEmpty(env, name);
  if (text === undefined) return undefined;
  const directory = resolve(text);
  const stats = statSync(directory, { throwIfNoEntry: false });
  if (stats && !stats.isDirectory())
    throw new LocalConfigError(
      `${name} must be a directory (it is created if missing), but "${text}" is a file`,
    );
  return directory;
}
