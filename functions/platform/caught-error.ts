// What a Step Functions Catch hands the compensation step (`ResultPath: "$.error"`): `Error` is the error name,
// `Cause` the Lambda runtime's JSON error payload or a plain message.

export interface CaughtError {
  readonly Error?: string;
  readonly Cause?: string;
}

/** `PortalRejected: PUT /apikeys …: 400 BadRequest: …` from a Catch's error, whatever shape the Cause has. */
export function describeCaughtError(error: CaughtError | undefined): string {
  const name = error?.Error ?? "UnknownError";
  const cause = error?.Cause ?? "";
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string") message = parsed.errorMessage;
  } catch {
    // Not JSON (States.Timeout, States.TaskFailed…): the Cause is the message.
  }
  return message ? `${name}: ${message}` : name;
}
