// The ways an ops command ends badly, mapped to the exit codes docs/architecture.md §4b fixes (plus 130 for Ctrl-C, the
// shell's convention), and the translation of SDK errors (no credentials, no stack, no region) into one clear line.

/** Exit codes: 0 success, 1 the operation failed, 2 bad usage, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad arguments: nothing was started. Exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The operation was attempted and failed (or cannot be attempted on this stack). Exit 1. */
export class OperationFailed extends Error {
  override readonly name = "OperationFailed";
}

/**
 * Ctrl-C while --wait followed an execution: the following stopped, the execution did not. Exit 130. The message
 * names the execution and the commands to check on it.
 */
export class StoppedFollowing extends Error {
  override readonly name = "StoppedFollowing";
}

const CREDENTIALS_ERRORS = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "TokenRefreshRequired",
]);

/** One line saying what went wrong, for any error an ops command can meet. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const name = error.name;
  if (CREDENTIALS_ERRORS.has(name))
    return `AWS credentials are missing or not valid (${name}): configure them (aws configure, AWS_PROFILE, aws sso login) or use --local for the local stack`;
  if (/region is missing/i.test(error.message))
    return "no AWS region: pass --region or set AWS_REGION (or use --local for the local stack)";
  if (name === "AccessDeniedException" || name === "AccessDenied")
    return `AWS refused the call (${name}): ${error.message}`;
  const code =
    (error as { code?: string; cause?: { code?: string } }).code ??
    (error as { cause?: { code?: string } }).cause?.code;
  if (code === "ECONNREFUSED") return `could not connect (${error.message}): is the stack still running?`;
  return error.message.split("\n")[0] ?? name;
}
