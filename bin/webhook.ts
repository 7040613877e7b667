// `npm run webhook`: signs and sends a CRM delivery to the running local stack, as the CRM would.
import { Command, InvalidArgumentError } from "commander";
import { InvalidInput } from "../functions/platform/errors.js";
import { parseOnboardingRequest } from "../functions/practice/practice-input.js";
import { readLocalWebhookSecret } from "../local/local-clients.js";
import { readLocalEndpoints, STACK_OUTPUTS } from "../local/local-stack.js";
import { sendCrmDelivery } from "../local/signed-webhook.js";

const program = new Command()
  .name("npm run webhook --")
  .description(
    "Sign (Standard Webhooks) and send a practice.onboarding.requested delivery to the running local stack.\n" +
      "Reuse --id to redeliver the same webhook (the system starts one onboarding per webhook id).",
  )
  .requiredOption("--practice <id>", "practice id (1–64 of A-Z a-z 0-9 . _ : -)")
  .option("--dev-ref-id <label>", "label shown in the Open Dental portal (default: the practice id)")
  .option("--id <webhook-id>", "webhook-id header (default: a new one)")
  .option("--type <type>", "event type", "practice.onboarding.requested")
  .option("--url <url>", "webhook URL (default: the local stack's)")
  .option("--secret <whsec>", "signing secret (default: read from the local stack's Secrets Manager)")
  .option("--json", "print the raw response as JSON")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<{
    practice: string;
    devRefId?: string;
    id?: string;
    type: string;
    url?: string;
    secret?: string;
    json?: boolean;
  }>();
  try {
    parseOnboardingRequest({ practiceId: options.practice, devRefId: options.devRefId });
  } catch (error) {
    if (error instanceof InvalidInput) program.error(`error: ${error.message}`, { exitCode: 2 });
    throw error;
  }
  if (options.id !== undefined && options.id.trim() === "")
    throw new InvalidArgumentError("--id must not be empty");
  const endpoints = options.url && options.secret ? undefined : readLocalEndpoints();
  const url = options.url ?? endpoints!.outputs[STACK_OUTPUTS.webhookUrl]!;
  const secret = options.secret ?? (await readLocalWebhookSecret(endpoints!));
  const response = await sendCrmDelivery(url, secret, {
    practiceId: options.practice,
    devRefId: options.devRefId,
    webhookId: options.id,
    type: options.type,
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(response)}\n`);
  } else {
    process.stdout.write(
      `webhook-id ${response.webhookId} → HTTP ${response.status}\n${JSON.stringify(response.body, null, 2)}\n`,
    );
  }
  process.exit(response.status < 300 ? 0 : 1);
}

main().catch((error: Error) => {
  process.stderr.write(`npm run webhook: ${error.message}\n`);
  process.exit(1);
});
