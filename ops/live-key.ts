// A key's live state in the Open Dental portal, read the way the workflows read it: credentials from the
// PortalSecretArn secret, the portal at PortalBaseUrl, every call inside the shared DynamoDB rate budget.
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { portalMaxRpsFrom } from "../functions/platform/config.js";
import { createPortalClient } from "../functions/portal/portal-client.js";
import { portalCredentialsFromSecret } from "../functions/portal/portal-credentials.js";
import { DynamoDbRateLimiter } from "../functions/portal/portal-rate-limiter.js";
import type { PortalClient, PortalKey } from "../functions/portal/portal-types.js";
import { STACK_OUTPUTS } from "../local/local-endpoints.js";
import { OperationFailed } from "./errors.js";
import type { OpsTarget } from "./targets.js";

/** What `status` shows of a portal key: everything but the key itself, which is masked. */
export interface LiveKeyView {
  readonly maskedKey: string;
  readonly keyStatus: string;
  readonly devRefId: string;
  readonly dateCreated: string | null;
  readonly dateDisabled: string | null;
  /** Null while the practice has not added the key in Open Dental. */
  readonly dateTimeAssigned: string | null;
}

/** `maskedKey`: the key as the record shows it (`…W2HD #3f9a1c`); the portal's answer has no fingerprint. */
export function liveKeyView(key: PortalKey, maskedKey: string): LiveKeyView {
  return {
    maskedKey,
    keyStatus: key.keyStatus,
    devRefId: key.devRefId,
    dateCreated: key.dateCreated,
    dateDisabled: key.dateDisabled,
    dateTimeAssigned: key.dateTimeAssigned,
  };
}

/** A portal client for this target, sharing the workflows' rate budget in the practice table. */
export function portalClientFor(target: OpsTarget): PortalClient {
  const secretId = target.output(STACK_OUTPUTS.portalSecret, "portal credentials secret");
  const baseUrl = target.output(STACK_OUTPUTS.portalBaseUrl, "portal base URL");
  const credentials = portalCredentialsFromSecret(secretId, async (name) => {
    const { SecretString } = await target.secretsManager.send(new GetSecretValueCommand({ SecretId: name }));
    return SecretString;
  });
  const rateLimiter = new DynamoDbRateLimiter({
    client: target.documentClient,
    tableName: target.output(STACK_OUTPUTS.tableName, "practice table"),
    // The same variable the functions read, checked before the run (checkGlobalOptions).
    maxRps: portalMaxRpsFrom(process.env),
    maxWaitMs: 30_000,
  });
  return createPortalClient({ baseUrl, credentials, rateLimiter });
}

/**
 * The portal's view of the key with this keyed fingerprint (listKeys, all pages, each key fingerprinted), or
 * undefined when the portal does not list it. By fingerprint: the record holds the key only as a ciphertext the
 * operator cannot open (docs/architecture.md §4 invariant 13).
 */
export async function findLiveKey(target: OpsTarget, keyFingerprint: string): Promise<PortalKey | undefined> {
  const fingerprint = target.keyFingerprinter();
  if (!fingerprint)
    throw new OperationFailed("the stack names no key-fingerprint secret (KeyFingerprintSecretArn)");
  const keys = await portalClientFor(target).listKeys();
  for (const key of keys) if ((await fingerprint(key.customerKey)) === keyFingerprint) return key;
  return undefined;
}
