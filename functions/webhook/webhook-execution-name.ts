// Execution names derived from a webhook delivery id: Step Functions refuses a second execution with the same
// name for 90 days, so a redelivered webhook can never start a second onboarding.
import { createHash } from "node:crypto";

/** Step Functions' limit on execution names. */
export const MAX_EXECUTION_NAME_LENGTH = 80;

const PLAIN_PREFIX = "crm-";
// Differs from PLAIN_PREFIX at its fourth character, so a hashed name can never equal a plain one.
const HASHED_PREFIX = "crm_";
const HASH_HEX_CHARACTERS = 16;
const DISALLOWED = /[^A-Za-z0-9_-]/g;

/** The webhook id with every character outside `[A-Za-z0-9_-]` removed. */
export function sanitizeWebhookId(webhookId: string): string {
  return webhookId.replace(DISALLOWED, "");
}

/**
 * `crm-<id>` when the id is already safe and short enough; otherwise `crm_<sanitized, cut>_<16 hex of
 * SHA-256(id)>`. Deterministic, at most 80 characters of `[A-Za-z0-9_-]`, and distinct ids give distinct
 * names (plain names are the id itself; hashed names differ by a 64-bit hash of the original id).
 */
export function executionNameForWebhook(webhookId: string): string {
  const sanitized = sanitizeWebhookId(webhookId);
  const plain = `${PLAIN_PREFIX}${webhookId}`;
  if (sanitized === webhookId && plain.length <= MAX_EXECUTION_NAME_LENGTH) return plain;
  const hash = createHash("sha256").update(webhookId, "utf8").digest("hex").slice(0, HASH_HEX_CHARACTERS);
  const room = MAX_EXECUTION_NAME_LENGTH - HASHED_PREFIX.length - 1 - HASH_HEX_CHARACTERS;
  return `${HASHED_PREFIX}${sanitized.slice(0, room)}_${hash}`;
}
