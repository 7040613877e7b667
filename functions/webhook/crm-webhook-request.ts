// The CRM webhook's domain: check the request, verify its Standard Webhooks signature, validate the event and
// start one onboarding execution per delivery id. Dependencies are arguments so tests hand it real parts.
import type { Logger } from "@aws-lambda-powertools/logger";
import { Webhook } from "standardwebhooks";
import * as z from "zod/mini";
import { InvalidInput } from "../platform/errors.js";
import { type OnboardingRequest, parseOnboardingRequest } from "../practice/practice-input.js";
import { isStale, issuedTooFarAhead } from "../practice/request-order.js";
import { executionNameForWebhook, sanitizeWebhookId } from "./webhook-execution-name.js";

/** Largest accepted body, in bytes. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** How far `webhook-timestamp` may be from now, either way (Standard Webhooks' default). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
/** The one event type that starts something. */
export const ONBOARDING_REQUESTED = "practice.onboarding.requested";

export interface CrmDelivery {
  /** Request headers; names in any case (API Gateway HTTP APIs lower-case them). */
  headers: Record<string, string | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface CrmWebhookDeps {
  /** Signing secrets, newest first; every one is tried, so old and new both verify during a rotation. */
  secrets: () => Promise<string[]>;
  /** Starts (or finds) the onboarding execution with this name. */
  startOnboarding: (
    name: string,
    input: object,
  ) => Promise<{ executionArn: string; alreadyStarted: boolean }>;
  /**
   * The practice's last recorded transition, to answer a request issued at or before it "stale" at once
   * (functions/practice/request-order.ts). Advisory: the execution's claim decides, so when this is absent or
   * fails the delivery is answered "accepted" and the execution still ends Stale.
   */
  lastTransition?: (practiceId: string) => Promise<{ readonly lastTransitionAt?: string } | undefined>;
  /** Clock for the ±5 minute check (the library checks again against the system clock). */
  now: () => Date;
  logger: Pick<Logger, "info" | "warn" | "error" | "appendKeys" | "removeKeys">;
}

/** What happened, for metrics: `reason` is the error name of a rejection or failure. */
export type CrmWebhookOutcome =
  | { kind: "accepted" | "duplicate" | "ignored" | "stale" }
  | { kind: "rejected" | "failed"; reason: string };

export interface CrmWebhookResult {
  statusCode: number;
  /** JSON text. Errors are `{"error": "<Name>", "message": "<what is wrong>"}`. */
  body: string;
  outcome: CrmWebhookOutcome;
}

const SIGNATURE_HEADER = /^v\d+[a-z]?,[A-Za-z0-9+/]+={0,2}(?: v\d+[a-z]?,[A-Za-z0-9+/]+={0,2})*$/;
// Digits without a leading zero: the library parses with parseInt, so "0123" or "123x" would otherwise
// verify as "123" and a changed header would still pass.
const TIMESTAMP_HEADER = /^[1-9]\d{0,11}$/;

const envelopeSchema = z.object({
  type: z.string({
    error: (issue) => (issue.input === undefined ? "type is required" : "type must be a string"),
  }),
});
const onboardingEventSchema = z.object({
  timestamp: z.iso.datetime({
    offset: true,
    error: (issue) =>
      issue.input === undefined
        ? "timestamp is required"
        : "timestamp must be an ISO 8601 date-time such as 2025-01-31T12:00:00Z",
  }),
  data: z.object(
    { practiceId: z.optional(z.unknown()), devRefId: z.optional(z.unknown()) },
    { error: 'data must be an object like {"practiceId": "...", "devRefId": "..."}' },
  ),
});

function json(statusCode: number, body: object, outcome: CrmWebhookOutcome): CrmWebhookResult {
  return { statusCode, body: JSON.stringify(body), outcome };
}

function rejection(statusCode: number, error: string, message: string): CrmWebhookResult {
  return json(statusCode, { error, message }, { kind: "rejected", reason: error });
}

function failure(statusCode: number, error: string, message: string): CrmWebhookResult {
  return json(statusCode, { error, message }, { kind: "failed", reason: error });
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [mediaType, ...parameters] = value.split(";").map((part) => part.trim().toLowerCase());
  if (mediaType !== "application/json") return false;
  return parameters.every(
    (parameter) => !parameter.startsWith("charset=") || /^charset="?utf-8"?$/.test(parameter),
  );
}

/** The body as bytes; null when it is over the limit (decided before decoding anything large). */
function bodyBytes(body: string, isBase64Encoded: boolean): Buffer | null {
  if (isBase64Encoded) {
    if (body.length > Math.ceil(MAX_WEBHOOK_BODY_BYTES / 3) * 4 + 4) return null;
    const bytes = Buffer.from(body, "base64");
    return bytes.length > MAX_WEBHOOK_BODY_BYTES ? null : bytes;
  }
  // A JS string needs at least one UTF-8 byte per UTF-16 unit, so a long string is rejected without encoding.
  if (body.length > MAX_WEBHOOK_BODY_BYTES) return null;
  const bytes = Buffer.from(body, "utf8");
  return bytes.length > MAX_WEBHOOK_BODY_BYTES ? null : bytes;
}

// ignoreBOM keeps a leading byte order mark in the text: the signature covers the bytes as sent, so a mark the
// sender did not sign must fail verification, and one it did sign must not.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reports which configured secret verified the payload, or why none did. Never exposes a secret. */
function verifySignature(
  secrets: string[],
  payload: string,
  headers: { id: string; timestamp: string; signature: string },
): { ok: true; secretIndex: number } | { ok: false; message: string } {
  const signedHeaders = {
    "webhook-id": headers.id,
    "webhook-timestamp": headers.timestamp,
    "webhook-signature": headers.signature,
  };
  let message = "no signature matches";
  for (const [secretIndex, secret] of secrets.entries()) {
    try {
      new Webhook(secret).verify(payload, signedHeaders, { jsonParse: false });
      return { ok: true, secretIndex };
    } catch (error) {
      // The library's messages ("No matching signature found", "Message timestamp too old") name the check that
      // failed, not the expected value.
      message = (error as Error).message;
    }
  }
  return { ok: false, message };
}

/**
 * Handles one CRM delivery end to end. Order matters: cheap, unauthenticated checks first (415, 413), then the
 * signature (401), and only a verified body is parsed (400) and acted on (202/200).
 */
export async function handleCrmDelivery(
  delivery: CrmDelivery,
  deps: CrmWebhookDeps,
): Promise<CrmWebhookResult> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(delivery.headers ?? {})) headers[name.toLowerCase()] = value;
  const webhookId = headers["webhook-id"];
  // Unverified until the signature passes, but useful to correlate a rejection with the CRM's delivery log.
  if (webhookId) deps.logger.appendKeys({ webhookId: webhookId.slice(0, 256) });
  try {
    const result = await handleDelivery(delivery, headers, deps);
    if (result.outcome.kind === "rejected") {
      deps.logger.warn("Webhook rejected", { statusCode: result.statusCode, reason: result.outcome.reason });
    }
    return result;
  } finally {
    deps.logger.removeKeys(["webhookId"]);
  }
}

async function handleDelivery(
  delivery: CrmDelivery,
  headers: Record<string, string | undefined>,
  deps: CrmWebhookDeps,
): Promise<CrmWebhookResult> {
  if (!isJsonContentType(headers["content-type"])) {
    return rejection(
      415,
      "UnsupportedMediaType",
      `content-type must be application/json (charset utf-8 if given), got ${JSON.stringify(headers["content-type"] ?? "")}`,
    );
  }
  const bytes = bodyBytes(delivery.body ?? "", delivery.isBase64Encoded ?? false);
  if (bytes === null) {
    return rejection(413, "PayloadTooLarge", `body must be at most ${MAX_WEBHOOK_BODY_BYTES} bytes`);
  }

  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signature = headers["webhook-signature"];
  const missing = [
    ["webhook-id", id],
    ["webhook-timestamp", timestamp],
    ["webhook-signature", signature],
  ]
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length > 0 || !id || !timestamp || !signature) {
    return rejection(401, "InvalidSignature", `missing header(s): ${missing.join(", ")}`);
  }
  if (!TIMESTAMP_HEADER.test(timestamp)) {
    return rejection(401, "InvalidSignature", "webhook-timestamp must be Unix time in whole seconds");
  }
  // Whole seconds, as the library compares (verifyTimestamp): a timestamp exactly at the tolerance passes, whatever
  // the fraction of the current second.
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
    return rejection(
      401,
      "InvalidSignature",
      `webhook-timestamp is outside the ±${WEBHOOK_TOLERANCE_SECONDS / 60} minute tolerance`,
    );
  }
  if (!SIGNATURE_HEADER.test(signature)) {
    return rejection(
      401,
      "InvalidSignature",
      'webhook-signature must be space-separated "v1,<base64>" signatures',
    );
  }
  let payload: string;
  try {
    payload = utf8.decode(bytes);
  } catch {
    return rejection(400, "InvalidBody", "body is not valid UTF-8");
  }

  let secrets: string[];
  try {
    secrets = await deps.secrets();
  } catch (error) {
    deps.logger.error("Webhook signing secret unavailable", { error });
    return failure(
      500,
      "ConfigurationError",
      "the webhook signing secret could not be read; nothing was started, retry later",
    );
  }
  const verified = verifySignature(secrets, payload, { id, timestamp, signature });
  if (!verified.ok) {
    return rejection(401, "InvalidSignature", `signature verification failed: ${verified.message}`);
  }

  if (payload.startsWith("\uFEFF")) {
    return rejection(
      400,
      "InvalidBody",
      "body starts with a byte order mark, which JSON sent over a network must not carry (RFC 8259 §8.1)",
    );
  }
  let event: unknown;
  try {
    event = JSON.parse(payload);
  } catch {
    return rejection(400, "InvalidBody", "body is not valid JSON");
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return rejection(400, "InvalidBody", 'body must be a JSON object like {"type": "...", "data": {...}}');
  }
  const envelope = z.safeParse(envelopeSchema, event);
  if (!envelope.success) return rejection(400, "InvalidBody", envelope.error.issues[0]!.message);
  if (envelope.data.type !== ONBOARDING_REQUESTED) {
    deps.logger.info("Webhook ignored: event type not handled", { type: envelope.data.type.slice(0, 100) });
    return json(202, { ignored: true, type: envelope.data.type }, { kind: "ignored" });
  }
  const onboardingEvent = z.safeParse(onboardingEventSchema, event);
  if (!onboardingEvent.success) {
    return rejection(400, "InvalidBody", onboardingEvent.error.issues[0]!.message);
  }

  const executionName = executionNameForWebhook(id);
  let request: OnboardingRequest;
  try {
    const { practiceId, devRefId } = onboardingEvent.data.data;
    request = parseOnboardingRequest({
      practiceId,
      devRefId,
      requestedBy: `crm-webhook:${sanitizeWebhookId(id).slice(0, 200) || executionName}`,
      issuedAt: issuedAtOf(onboardingEvent.data.timestamp),
    });
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return rejection(400, "InvalidBody", `data.${error.message}`);
  }
  const ahead = issuedTooFarAhead(request.issuedAt!, deps.now());
  if (ahead) return rejection(400, "InvalidBody", `data.timestamp ${ahead}`);

  let started: { executionArn: string; alreadyStarted: boolean };
  try {
    started = await deps.startOnboarding(executionName, request);
  } catch (error) {
    const transient = isTransientStartFailure(error);
    deps.logger.error("Could not start onboarding", { error, executionName, practiceId: request.practiceId });
    return transient
      ? failure(503, "StepFunctionsUnavailable", "Step Functions is unavailable or throttling; retry later")
      : failure(
          500,
          "StartExecutionFailed",
          `the onboarding execution could not be started (${(error as Error).name}); retry later`,
        );
  }
  const { executionArn, alreadyStarted } = started;
  deps.logger.info(alreadyStarted ? "Webhook redelivered: execution exists" : "Onboarding started", {
    practiceId: request.practiceId,
    executionName,
    executionArn,
  });
  if (alreadyStarted) {
    return json(
      200,
      { executionArn, practiceId: request.practiceId, duplicate: true },
      { kind: "duplicate" },
    );
  }
  const lastTransitionAt = await lastTransitionOf(request.practiceId, deps);
  if (lastTransitionAt && isStale(request.issuedAt, lastTransitionAt)) {
    deps.logger.info("Stale onboarding request: issued at or before the practice's last transition", {
      practiceId: request.practiceId,
      issuedAt: request.issuedAt,
      lastTransitionAt,
    });
    return json(
      202,
      {
        executionArn,
        practiceId: request.practiceId,
        outcome: "stale",
        issuedAt: request.issuedAt,
        lastTransitionAt,
      },
      { kind: "stale" },
    );
  }
  return json(
    202,
    { executionArn, practiceId: request.practiceId, outcome: "accepted" },
    { kind: "accepted" },
  );
}

/**
 * The request's issue time for the ordering rule: the payload's `timestamp` in whole seconds (Standard Webhooks
 * timestamps are whole seconds; a fraction, when a CRM sends one, is dropped so every sender compares alike).
 */
function issuedAtOf(timestamp: string): string {
  const ms = Date.parse(timestamp);
  return new Date(ms - (((ms % 1000) + 1000) % 1000)).toISOString();
}

/** The practice's last transition as the table has it, or undefined when unknown or unreadable. */
async function lastTransitionOf(practiceId: string, deps: CrmWebhookDeps): Promise<string | undefined> {
  if (!deps.lastTransition) return undefined;
  try {
    return (await deps.lastTransition(practiceId))?.lastTransitionAt;
  } catch (error) {
    // The execution decides anyway; the CRM just hears "accepted" instead of "stale".
    deps.logger.warn("Could not read the practice's last transition; answering accepted", { error });
    return undefined;
  }
}

/** Throttling, a 5xx or no answer at all: the CRM's retry will likely succeed. */
function isTransientStartFailure(error: unknown): boolean {
  const sdkError = error as { name?: string; $fault?: string; $metadata?: unknown } | null;
  if (!sdkError || sdkError.$metadata === undefined) return true;
  return (
    sdkError.$fault === "server" || /Throttl|TooManyRequests|RequestLimitExceeded/i.test(sdkError.name ?? "")
  );
}
