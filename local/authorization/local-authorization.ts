// The local stack's authorization: who sent a request (caller-identity.ts), what IAM sees of it
// (service-requests.ts) and the template's decision (authorizer.ts), answered with the error the service returns.
import type { IncomingHttpHeaders } from "node:http";
import { type AuthorizationDecision, TemplateAuthorizer } from "./authorizer.js";
import { accessKeyIdOf, callerOfAccessKeyId, functionOfRequest } from "./caller-identity.js";
import type { IamRequest } from "./service-requests.js";
import type { TemplatePermissions } from "./template-permissions.js";

export type LocalService = "states" | "secretsmanager" | "dynamodb" | "events" | "kms";

/** A refused call: the HTTP status and the AWS JSON protocol `__type` and message the service answers with. */
export interface LocalDenial {
  readonly statusCode: number;
  readonly errorType: string;
  readonly message: string;
  /** Who was refused what, for the local stack's log. */
  readonly principal: string;
  readonly deniedAction: string;
  readonly deniedResource: string;
}

export interface LocalAuthorizationOptions {
  /** The principal `ops --local` is evaluated as by default: the stack's operator policy (its logical id). */
  readonly operatorPolicy?: string;
  /** The principal of `ops --local --local-role key-administrator`: the operator and key administrator policies. */
  readonly keyAdministrator?: string;
  /** Called with every refusal (the local stack logs them: a denied call is a grant missing from the template). */
  readonly onDenied?: (denial: LocalDenial) => void;
}

export class LocalAuthorization {
  private readonly authorizer: TemplateAuthorizer;

  constructor(
    private readonly permissions: TemplatePermissions,
    private readonly options: LocalAuthorizationOptions = {},
  ) {
    this.authorizer = new TemplateAuthorizer(permissions);
  }

  /** The partition key attribute of the table with this ARN (`dynamodb:LeadingKeys`). */
  partitionKeyOf(tableArn: string): string | undefined {
    return this.permissions.partitionKeys.get(tableArn);
  }

  /** The principal (role or managed policy logical id) a request is evaluated as; undefined → the administrator. */
  principalOf(headers: IncomingHttpHeaders): string | undefined {
    const fn = functionOfRequest(headers);
    if (fn) return this.permissions.functionRoles.get(fn) ?? `function ${fn} (no role in the template)`;
    const caller = callerOfAccessKeyId(accessKeyIdOf(headers.authorization));
    if (!caller) return undefined;
    if (caller.kind === "role") return caller.role;
    if (caller.kind === "keyAdministrator")
      return this.options.keyAdministrator ?? "key administrator (the stack has no key administrator policy)";
    return this.options.operatorPolicy ?? "operator (the stack has no operator policy)";
  }

  /** Undefined when every part of the request is allowed; otherwise the service's error for the first refusal. */
  check(
    service: LocalService,
    headers: IncomingHttpHeaders,
    requests: readonly IamRequest[],
  ): LocalDenial | undefined {
    const principal = this.principalOf(headers);
    if (principal === undefined) return undefined;
    for (const request of requests) {
      const decision = this.authorizer.authorize({ principal, ...request });
      if (!decision.allowed) {
        const denial = serviceDenial(service, principal, decision);
        this.options.onDenied?.(denial);
        return denial;
      }
    }
    return undefined;
  }
}

/**
 * How each service reports a refusal: AccessDeniedException for its own action; for the KMS call it makes on the
 * caller's behalf, Step Functions answers KmsAccessDeniedException and Secrets Manager and DynamoDB an access
 * denial naming KMS.
 */
function serviceDenial(
  service: LocalService,
  principal: string,
  decision: Extract<AuthorizationDecision, { allowed: false }>,
): LocalDenial {
  const base = {
    statusCode: 400,
    principal,
    deniedAction: decision.deniedAction,
    deniedResource: decision.deniedResource,
  };
  if (service === "dynamodb")
    return {
      ...base,
      errorType: "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
      message: decision.message,
    };
  if (decision.kms && service === "states")
    return { ...base, errorType: "KmsAccessDeniedException", message: decision.message };
  if (decision.kms && service === "secretsmanager")
    return {
      ...base,
      errorType: "AccessDeniedException",
      message: `Access to KMS is not allowed. ${decision.message}`,
    };
  return { ...base, errorType: "AccessDeniedException", message: decision.message };
}
