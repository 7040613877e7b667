// Recognises the refusal of what only the key administrator policy grants (the portal credentials, the portal's
// rate budget, import's table writes), so `status` can show the rest of its view and `import` can say what it
// needs (docs/ops-cli.md, Permissions).

const ACCESS_DENIED = new Set(["AccessDeniedException", "AccessDenied"]);
/** AWS's wording: `User: <arn> is not authorized to perform: <action> on resource: <arn> because …`. */
const REFUSED_CALL = /is not authorized to perform: (\S+) on resource: (\S+)/;

/** The AWS access denial somewhere in `error`'s cause chain, if any. */
export function accessDenial(error: unknown): Error | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (ACCESS_DENIED.has(current.name)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * `needs <action> on <resource> (KeyAdministratorPolicy)` when `error` is AWS refusing a call only the key
 * administrator policy allows; undefined for any other failure. Without the action in the message (a wrapped
 * error), it is the first call the portal lookup makes: reading the portal secret.
 */
export function missingKeyAdministratorAccess(error: unknown, portalSecretArn: string): string | undefined {
  const denial = accessDenial(error);
  if (!denial) return undefined;
  const [, action = "secretsmanager:GetSecretValue", resource = portalSecretArn] =
    REFUSED_CALL.exec(denial.message) ?? [];
  return `needs ${action} on ${resource} (KeyAdministratorPolicy)`;
}
