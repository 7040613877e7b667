// Who makes a call to a local endpoint. Across processes it is known the way AWS knows it: by the access key id in
// the SigV4 `Authorization` header (`ops --local` signs with OPERATOR_ACCESS_KEY_ID). Inside the local stack every
// function shares one process, one process.env and often one SDK client (docs/architecture.md §local stack), so a
// function's credentials cannot differ: instead each invocation runs in an async context naming its function, and
// each SDK request it sends is recorded by its `amz-sdk-invocation-id` (a fresh UUID per request, kept across the
// SDK's retries), which the local endpoints look up. Requests signed with the developer's local credentials
// (LOCAL_CREDENTIALS: scripts, tests inspecting state) are the account administrator's and are not evaluated.
import { AsyncLocalStorage } from "node:async_hooks";
import diagnosticsChannel from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";

const ROLE_KEY_PREFIX = "LOCALROLE";
/** The access key id `ops --local` signs with: evaluated against the stack's operator policy. */
export const OPERATOR_ACCESS_KEY_ID = "LOCALOPERATOR";
/** The access key id `ops --local --local-role key-administrator` signs with: the operator and key administrator policies. */
export const KEY_ADMINISTRATOR_ACCESS_KEY_ID = "LOCALKEYADMINISTRATOR";

const invokedFunction = new AsyncLocalStorage<string>();

/** Runs `invoke` (one invocation of a function's handler) as that function: its AWS calls carry its role. */
export function runAsFunction<T>(functionLogicalId: string, invoke: () => T): T {
  return invokedFunction.run(functionLogicalId, invoke);
}

export function currentFunction(): string | undefined {
  return invokedFunction.getStore();
}

export function roleAccessKeyId(roleLogicalId: string): string {
  return `${ROLE_KEY_PREFIX}${roleLogicalId}`;
}

/** The caller a request names: a role, the operator, or undefined (unsigned, or another access key). */
export type Caller =
  | { readonly kind: "role"; readonly role: string }
  | { readonly kind: "operator" }
  | { readonly kind: "keyAdministrator" };

export function callerOfAccessKeyId(accessKeyId: string | undefined): Caller | undefined {
  if (accessKeyId === OPERATOR_ACCESS_KEY_ID) return { kind: "operator" };
  if (accessKeyId === KEY_ADMINISTRATOR_ACCESS_KEY_ID) return { kind: "keyAdministrator" };
  if (accessKeyId?.startsWith(ROLE_KEY_PREFIX))
    return { kind: "role", role: accessKeyId.slice(ROLE_KEY_PREFIX.length) };
  return undefined;
}

/** `AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/<service>/aws4_request, …` → the access key id. */
export function accessKeyIdOf(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  return header ? /Credential=([^/,\s]+)\//.exec(header)?.[1] : undefined;
}

const REQUEST_START = "http.client.request.start";
const INVOCATION_ID_HEADER = "amz-sdk-invocation-id";
/** Enough for every request in flight; the oldest entries go first. */
const MAX_RECORDED_REQUESTS = 20_000;
const requestsByInvocationId = new Map<string, string>();

/**
 * From now on, every SDK request a function invocation sends is recorded with that function, so an in-process
 * endpoint can tell who sent it (functionOfRequest). Returns the function that stops recording.
 */
export function recordFunctionRequests(): () => void {
  const onRequest = (message: unknown) => {
    const fn = invokedFunction.getStore();
    if (!fn) return;
    const invocationId = (message as { request: ClientRequest }).request.getHeader(INVOCATION_ID_HEADER);
    if (typeof invocationId !== "string") return;
    requestsByInvocationId.set(invocationId, fn);
    if (requestsByInvocationId.size > MAX_RECORDED_REQUESTS) {
      const oldest = requestsByInvocationId.keys().next().value;
      if (oldest !== undefined) requestsByInvocationId.delete(oldest);
    }
  };
  diagnosticsChannel.subscribe(REQUEST_START, onRequest);
  return () => diagnosticsChannel.unsubscribe(REQUEST_START, onRequest);
}

/** The function whose invocation sent a request with these headers, if one did (in this process). */
export function functionOfRequest(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | undefined {
  const invocationId = headers[INVOCATION_ID_HEADER];
  return typeof invocationId === "string" ? requestsByInvocationId.get(invocationId) : undefined;
}
