// Runtime configuration of the portal-calling Lambdas: environment variables validated once, on first use,
// with an error that names the variable at fault (never its value when it could be secret).
import * as z from "zod/mini";
import { DEFAULT_OPEN_DENTAL_BASE_URL } from "../../contracts/portal-defaults.js";
import { ConfigurationError } from "./errors.js";

export { DEFAULT_OPEN_DENTAL_BASE_URL };

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

function positiveNumber(fallback: number) {
  return z._default(
    z.pipe(
      z.string(),
      z.transform((value, ctx) => {
        const parsed = Number(value.trim());
        if (value.trim() === "" || !Number.isFinite(parsed) || parsed <= 0) {
          ctx.issues.push({
            code: "custom",
            input: value,
            message: `must be a positive number, got "${value}"`,
          });
          return z.NEVER;
        }
        return parsed;
      }),
    ),
    fallback,
  );
}

const configSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1, "must not be empty")),
  PORTAL_SECRET_ARN: z.string().check(z.minLength(1, "must not be empty")),
  OPEN_DENTAL_BASE_URL: z._default(httpUrl, DEFAULT_OPEN_DENTAL_BASE_URL),
  PORTAL_MAX_RPS: positiveNumber(1),
  PORTAL_TIMEOUT_MS: positiveNumber(15_000),
  /** Longest a call waits in the rate limiter before giving the slot back to Step Functions' retry. */
  PORTAL_MAX_WAIT_MS: positiveNumber(10_000),
});

export interface RuntimeConfig {
  readonly tableName: string;
  readonly portalSecretArn: string;
  readonly openDentalBaseUrl: string;
  readonly portalMaxRps: number;
  readonly portalTimeoutMs: number;
  readonly portalMaxWaitMs: number;
}

/** Validates `env` (all of it at once) and returns the typed configuration. */
export function parseConfig(env: Record<string, string | undefined>): RuntimeConfig {
  // An empty optional variable means "not set": CDK and shells both produce those.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const result = z.safeParse(configSchema, present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    const reason = issue.code === "invalid_type" && issue.input === undefined ? "is not set" : issue.message;
    throw new ConfigurationError(`environment variable ${variable} ${reason}`);
  }
  const c = result.data;
  return {
    tableName: c.TABLE_NAME,
    portalSecretArn: c.PORTAL_SECRET_ARN,
    openDentalBaseUrl: c.OPEN_DENTAL_BASE_URL,
    portalMaxRps: c.PORTAL_MAX_RPS,
    portalTimeoutMs: c.PORTAL_TIMEOUT_MS,
    portalMaxWaitMs: c.PORTAL_MAX_WAIT_MS,
  };
}

/**
 * PORTAL_MAX_RPS alone, by the same rule (for the ops CLI, which spends the workflows' portal budget and must not
 * read a typo as some other rate).
 */
export function portalMaxRpsFrom(env: Record<string, string | undefined>): number {
  const value = env.PORTAL_MAX_RPS;
  const result = z.safeParse(configSchema.shape.PORTAL_MAX_RPS, value === "" ? undefined : value);
  if (!result.success)
    throw new ConfigurationError(`environment variable PORTAL_MAX_RPS ${result.error.issues[0]!.message}`);
  return result.data;
}

let cached: RuntimeConfig | undefined;

/** The process's configuration, read from `process.env` on first call (so tests can set the env first). */
export function runtimeConfig(): RuntimeConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/** The table alone, for Lambdas that never call the portal (they get no secret and no portal settings). */
export function tableNameFromEnv(env: Record<string, string | undefined> = process.env): string {
  const value = env.TABLE_NAME;
  if (!value) throw new ConfigurationError("environment variable TABLE_NAME is not set");
  return value;
}
