// Errors of key custody, with stable names Step Functions retries or catches by.
// Messages name the practice and the KMS error, never the CustomerKey, and carry no SDK error as `cause` (a
// request object could hold the plaintext).
import { AppError } from "../platform/errors.js";

function named<T extends abstract new (...args: never[]) => AppError>(cls: T, name: string): T {
  // On the prototype, so the name survives minification (as functions/platform/errors.ts does).
  Object.defineProperty(cls.prototype, "name", { value: name, enumerable: false });
  return cls;
}

/** KMS throttled, failed or was unreachable: retry with backoff. */
export const KeyCustodyUnavailable = named(
  class KeyCustodyUnavailable extends AppError {
    readonly retryable = true;
  },
  "KeyCustodyUnavailable",
);
export type KeyCustodyUnavailable = InstanceType<typeof KeyCustodyUnavailable>;

/**
 * The stored ciphertext does not open under its practice's encryption context: altered, copied from another
 * practice's record, under another key, or not a ciphertext at all. Retrying cannot help.
 */
export const KeyCiphertextRejected = named(
  class KeyCiphertextRejected extends AppError {
    readonly retryable = false;
  },
  "KeyCiphertextRejected",
);
export type KeyCiphertextRejected = InstanceType<typeof KeyCiphertextRejected>;

/** KMS refused by design: no permission (e.g. a role without kms:Decrypt), key unknown, disabled or pending deletion. */
export const KeyCustodyDenied = named(
  class KeyCustodyDenied extends AppError {
    readonly retryable = false;
  },
  "KeyCustodyDenied",
);
export type KeyCustodyDenied = InstanceType<typeof KeyCustodyDenied>;
