// Decides a call as AWS would within one account: an explicit deny anywhere wins; otherwise the identity policies or
// the resource's own policy must allow it — except for KMS, where the key policy must allow it, directly or by
// delegating to IAM through the account root. A call on a resource encrypted with a customer-managed key also needs
// the KMS operation the service makes on the caller's behalf (kms-requirements.ts).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
import { LOCAL_ACCOUNT_ID } from "../fake-aws.js";
import { kmsRequirements } from "./kms-requirements.js";
import { evaluatePolicies, type RequestContext } from "./policy-evaluator.js";
import {
  ACCOUNT_ROOT_ARN,
  type TemplatePermissions,
  type TemplatePrincipal,
} from "./template-permissions.js";

export interface AuthorizationRequest {
  /** Logical id of the calling role (or managed policy). */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: RequestContext["context"];
}

export type AuthorizationDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** The call that was refused: the request itself, or the KMS operation the service needed for it. */
      readonly deniedAction: string;
      readonly deniedResource: string;
      readonly explicitDeny: boolean;
      /** AWS-style message: `User: <arn> is not authorized to perform: <action> on resource: <arn> because …`. */
      readonly message: string;
      /** True when the refused call is the service's KMS operation rather than the request itself. */
      readonly kms: boolean;
    };

export class TemplateAuthorizer {
  constructor(private readonly permissions: TemplatePermissions) {}

  principal(logicalId: string): TemplatePrincipal | undefined {
    return this.permissions.principals.get(logicalId);
  }

  /** The request, then every KMS call the service makes for it with the caller's permissions. */
  authorize(request: AuthorizationRequest): AuthorizationDecision {
    const direct = this.authorizeOne(request, false);
    if (!direct.allowed) return direct;
    for (const need of kmsRequirements(request, this.permissions.encryptionKeys)) {
      const decision = this.authorizeOne({ ...need, principal: request.principal }, true);
      if (!decision.allowed) return decision;
    }
    return direct;
  }

  private authorizeOne(request: AuthorizationRequest, kms: boolean): AuthorizationDecision {
    const principal = this.permissions.principals.get(request.principal);
    const callerArn = principal?.arn ?? `unknown principal ${request.principal}`;
    const context = {
      "aws:PrincipalArn": callerArn,
      "aws:PrincipalAccount": LOCAL_ACCOUNT_ID,
      "kms:CallerAccount": LOCAL_ACCOUNT_ID,
      "aws:SecureTransport": "true",
      ...request.context,
    };
    const asCaller: RequestContext = {
      action: request.action,
      resource: request.resource,
      principal: callerArn,
      context,
    };
    const asAccount: RequestContext = { ...asCaller, principal: ACCOUNT_ROOT_ARN };
    const identity = evaluatePolicies(principal?.policies ?? [], asCaller);
    const resourcePolicies = this.permissions.resourcePolicies.get(request.resource) ?? [];
    const resourceDirect = evaluatePolicies(resourcePolicies, asCaller);
    const resourceAccount = evaluatePolicies(resourcePolicies, asAccount);
    const deny = (reason: string, explicitDeny: boolean): AuthorizationDecision => ({
      allowed: false,
      deniedAction: request.action,
      deniedResource: request.resource,
      explicitDeny,
      kms,
      message: `User: ${callerArn} is not authorized to perform: ${request.action} on resource: ${request.resource} because ${reason}`,
    });
    if (identity.decision === "Deny") return deny("an identity-based policy explicitly denies it", true);
    if (resourceDirect.decision === "Deny" || resourceAccount.decision === "Deny")
      return deny("a resource-based policy explicitly denies it", true);

    const isKey = request.action.toLowerCase().startsWith("kms:");
    if (isKey) {
      // KMS: without the key policy nothing is allowed; naming the role allows alone, naming the account delegates
      // to IAM, whose identity policies must then allow too.
      if (resourceDirect.decision === "Allow" && !isAccountStatement(resourceDirect.statement))
        return { allowed: true };
      if (resourceAccount.decision === "Allow" && identity.decision === "Allow") return { allowed: true };
      return deny(
        resourceAccount.decision === "Allow"
          ? "no identity-based policy allows the action (the key policy delegates to IAM)"
          : "the key policy does not allow it",
        false,
      );
    }
    if (identity.decision === "Allow") return { allowed: true };
    if (resourceDirect.decision === "Allow" && !isAccountStatement(resourceDirect.statement))
      return { allowed: true };
    return deny("no identity-based policy allows the action", false);
  }
}

/** A statement that names the account (root) grants to IAM, not to the caller itself. */
function isAccountStatement(statement: { Principal?: unknown } | undefined): boolean {
  const principal = statement?.Principal as { AWS?: string | string[] } | undefined;
  const aws = principal?.AWS;
  const values = aws === undefined ? [] : typeof aws === "string" ? [aws] : aws;
  return (
    values.length > 0 && values.every((value) => value === ACCOUNT_ROOT_ARN || value === LOCAL_ACCOUNT_ID)
  );
}
