// `ops activation-link <practiceId> [--expires 7d]`: a one-time link that shows an ACTIVE practice's office how to
// install its key in Open Dental and reveals the key once. A new link revokes the practice's open one. The URL is
// printed here and nowhere else: the table keeps the token's hash, the audit trail the link id, and the link's
// PracticeActivationLinkIssued — written with it, in its transaction — the link id (docs/events.md "Delivery").
import { STACK_OUTPUTS } from "../../contracts/stack-outputs.js";
import { issueActivationLink, PracticeNotActivatable } from "../../functions/activation/activation-links.js";
import { activationTableParts } from "../../functions/practice/activation-runtime.js";
import type { CommandContext } from "../context.js";
import { EXIT, type ExitCode, OperationFailed } from "../errors.js";
import { opsRequester } from "../execution-names.js";
import { formatTime } from "../format.js";

export interface ActivationLinkRequest {
  readonly practiceId: string;
  /** Milliseconds; the link's default (7 days) when absent. */
  readonly lifetimeMs?: number;
}

export async function activationLink(
  context: CommandContext,
  request: ActivationLinkRequest,
): Promise<ExitCode> {
  const { target } = context;
  const baseUrl = target.output(STACK_OUTPUTS.activationBaseUrl, "activation page");
  const table = {
    client: target.documentClient,
    tableName: target.output(STACK_OUTPUTS.tableName, "practice table"),
  };
  const requester = opsRequester();
  const parts = activationTableParts(table, requester);
  let issued: Awaited<ReturnType<typeof issueActivationLink>>;
  try {
    issued = await issueActivationLink(
      { ...parts, now: () => new Date() },
      {
        practiceId: request.practiceId,
        baseUrl,
        issuedBy: requester,
        ...(request.lifetimeMs !== undefined ? { lifetimeMs: request.lifetimeMs } : {}),
      },
    );
  } catch (error) {
    if (!(error instanceof PracticeNotActivatable)) throw error;
    const practice = await target.practiceStore().getPractice(request.practiceId);
    throw new OperationFailed(
      practice
        ? `practice ${request.practiceId} is ${practice.status}: only an ACTIVE practice's key can be sent by activation link`
        : `practice ${request.practiceId} is not recorded on ${target.description}`,
    );
  }
  context.printJson({ practiceId: issued.practiceId, url: issued.url, expiresAt: issued.expiresAt });
  context.print(
    `Activation link for ${issued.practiceId}, valid once until ${formatTime(issued.expiresAt)}:`,
  );
  context.print(`  ${issued.url}`);
  if (issued.replaced.length > 0)
    context.print(`It replaces the open link ${issued.replaced.join(", ")}, which no longer works.`);
  context.print(
    "Send it to the office; the key is shown after they press Reveal key, then the link is spent.",
  );
  return EXIT.ok;
}
