// Key custody for tests: a fixed fingerprint secret, put into the synthesized stack's fingerprint secret for the
// harnesses, and the same fingerprinter for the stores a test builds on DynamoDB Local, so both address the ledger
// alike (docs/architecture.md §4).
import {
  fingerprintCustomerKey,
  type KeyFingerprinter,
} from "../../functions/key-custody/key-fingerprint.js";
import { type MaskedKey, maskCustomerKey } from "../../functions/key-custody/masked-key.js";
import type { SynthesizedStack } from "../../local/cloudformation-template.js";
import { localFingerprintSecret } from "../../local/local-key-custody.js";
import type { LocalSecretStore } from "../../local/local-secret-store.js";
import { TemplateResolver } from "../../local/template-resolver.js";

/** The fingerprint secret of every test (at least 32 bytes, as the real one). */
export const TEST_FINGERPRINT_SECRET = "test-fingerprint-secret-0123456789abcdef";

const secretBytes = new TextEncoder().encode(TEST_FINGERPRINT_SECRET);

/** The fingerprinter of the test secret: what the stack's functions compute in the harnesses. */
export const testFingerprinter: KeyFingerprinter = async (customerKey) =>
  fingerprintCustomerKey(customerKey, secretBytes);

/** A key as the harnesses' functions show it (`…W2HD #3f9a1c`, docs/architecture.md §4). */
export const testMask = (customerKey: string): MaskedKey =>
  maskCustomerKey(customerKey, fingerprintCustomerKey(customerKey, secretBytes));

/** Puts the test secret into the templates' key-fingerprint secret (the harnesses' functions read it). */
export function putTestFingerprintSecret(
  templates: readonly SynthesizedStack[],
  secrets: LocalSecretStore,
): void {
  let found = false;
  for (const stack of templates) {
    const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName });
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (!logicalId.startsWith("KeyCustody") || resource.Type !== "AWS::SecretsManager::Secret") continue;
      secrets.putSecretValue(resolver.physicalName(logicalId), TEST_FINGERPRINT_SECRET);
      found = true;
    }
  }
  if (!found) throw new Error("the templates hold no KeyCustody fingerprint secret");
}

/** The fingerprinter of a local stack's state dir (local/local-key-custody.ts): what its functions compute. */
export function localStackFingerprinter(stateDir: string): KeyFingerprinter {
  const secret = new TextEncoder().encode(localFingerprintSecret(stateDir));
  return async (customerKey) => fingerprintCustomerKey(customerKey, secret);
}

/** A key as a local stack's functions show it (`…W2HD #3f9a1c`), for the CLI and demo tests. */
export function localStackMask(stateDir: string): (customerKey: string) => MaskedKey {
  const secret = new TextEncoder().encode(localFingerprintSecret(stateDir));
  return (customerKey) => maskCustomerKey(customerKey, fingerprintCustomerKey(customerKey, secret));
}
