// The CustomerKey at rest (docs/architecture.md §4 invariant 13): every key the table holds — a practice's key,
// its previous key, a reconciliation run's candidates and planned repairs — is a `kms1:` ciphertext under the
// custody CMK, encrypted where the plaintext arrives and opened only by the functions that send it to the portal
// (their stores carry a cipher and their roles kms:Decrypt). The encryption context names the key's owner:
// - a practice's key: the practice, so a ciphertext copied to another record does not open;
// - a run's scratch: the run (`reconciliation-run:<runId>`), so the step that turns a candidate into a planned
//   repair copies the ciphertext without opening it, and the scratch of one run does not open as another's.
import {
  type EncryptedCustomerKey,
  isEncryptedCustomerKey,
  type KeyCipher,
  type KeyOwner,
} from "../key-custody/key-cipher.js";
import { ConfigurationError } from "../platform/errors.js";
import type { PracticeTable } from "./practice-table.js";

/** The encryption-context owner of a run's scratch keys (a practice id never holds `:`… nor needs to). */
export function scratchKeyOwner(runId: string): KeyOwner {
  return { practiceId: `reconciliation-run:${runId}` };
}

function cipherOf(table: PracticeTable, doing: string): KeyCipher {
  if (!table.keyCipher)
    throw new ConfigurationError(`this function has no key cipher: it cannot ${doing} a CustomerKey`);
  return table.keyCipher;
}

/** The stored form of a key just seen (a portal answer, an import, a listing). */
export function encryptCustomerKey(
  table: PracticeTable,
  customerKey: string,
  owner: KeyOwner,
): Promise<EncryptedCustomerKey> {
  return cipherOf(table, "store").encrypt(customerKey, owner);
}

/** A value to store: a ciphertext already made for `owner` passes as is; a plaintext key is encrypted. */
export async function storedFormOf(
  table: PracticeTable,
  value: string,
  owner: KeyOwner,
): Promise<EncryptedCustomerKey> {
  return isEncryptedCustomerKey(value) ? value : encryptCustomerKey(table, value, owner);
}

/**
 * The plaintext of a stored key, for a request to the portal (or the activation page). A plaintext left by a
 * table written before custody is refused, not used: `ops migrate-keys` encrypts it first.
 */
export function revealStoredKey(table: PracticeTable, stored: string, owner: KeyOwner): Promise<string> {
  if (!isEncryptedCustomerKey(stored))
    return Promise.reject(
      new ConfigurationError(
        `${owner.practiceId}'s stored key is not encrypted: run \`ops migrate-keys\` first (it is never used as is)`,
      ),
    );
  return cipherOf(table, "open").decrypt(stored, owner);
}
