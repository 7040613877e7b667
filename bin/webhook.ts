// `npm run webhook`: signs and sends a delivery to the running local stack, as the CRM would — Standard Webhooks
// (default), HubSpot (signature v3) or Salesforce (an outbound message to the token URL).
import { Command, InvalidArgumentError, Option } from "commander";
import { InvalidInput } from "../functions/platform/errors.js";
import { parseOnboardingRequest } from "../functions/practice/practice-input.js";
import { readLocalWebhookSecret } from "../local/local-clients.js";
import { readLocalEndpoints, STACK_OUTPUTS } from "../local/local-stack.js";
import {
  buildSalesforceDelivery,
  hubspotDealStageEvent,
  signHubSpotDelivery,
} from "../local/provider-deliveries.js";
import { sendProviderDelivery } from "../local/provider-webhook-sender.js";
import { readLocalCrmProviderSecrets } from "../local/read-crm-provider-secrets.js";
import { sendCrmDelivery } from "../local/signed-webhook.js";

const PROVIDERS = ["standard", "hubspot", "salesforce"] as const;
type Provider = (typeof PROVIDERS)[number];

interface Options {
  provider: Provider;
  practice?: string;
  devRefId?: string;
  id?: string;
  type: string;
  deal?: string;
  stage: string;
  status: string;
  org: string;
  url?: string;
  secret?: string;
  json?: boolean;
}

const program = new Command()
  .name("npm run webhook --")
  .description(
    "Sign and send a CRM delivery to the running local stack, as the CRM would.\n" +
      "  standard:   a Standard Webhooks practice.onboarding.requested (--practice)\n" +
      "  hubspot:    a deal's dealstage change, signed X-HubSpot-Signature-v3 (--deal, --stage)\n" +
      "  salesforce: an Account outbound message to /webhooks/salesforce/<token> (--practice, --status)\n" +
      "Reuse --id to redeliver the same delivery (one execution per delivery).",
  )
  .addOption(new Option("--provider <name>", "who sends").choices(PROVIDERS).default("standard"))
  .option("--practice <id>", "practice id (standard, salesforce)")
  .option("--dev-ref-id <label>", "label shown in the Open Dental portal (standard, salesforce Name)")
  .option(
    "--id <delivery-id>",
    "webhook-id (standard), eventId (hubspot, digits) or notification Id (salesforce, 15/18 characters)",
  )
  .option("--type <type>", "event type (standard)", "practice.onboarding.requested")
  .option("--deal <id>", "deal id (hubspot; the practice is hubspot-deal-<id> with the shipped mapping)")
  .option("--stage <stage>", "deal stage (hubspot): closedwon, churned, wonback", "closedwon")
  .option("--status <status>", "Customer_Status__c (salesforce): Active, Churned, Won Back", "Active")
  .option("--org <id>", "sending organization id (salesforce)", "00D000000000062")
  .option("--url <url>", "URL to POST to (default: the local stack's route)")
  .option(
    "--secret <value>",
    "signing secret (standard whsec_…, hubspot client secret) or path token (salesforce); default: the local stack's",
  )
  .option("--json", "print the raw response as JSON")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

function usage(message: string): never {
  process.stderr.write(`npm run webhook: error: ${message}
(run with --help for usage)
`);
  process.exit(2);
}

function checkPractice(options: Options): string {
  if (!options.practice) usage(`--practice is required with --provider ${options.provider}`);
  try {
    parseOnboardingRequest({ practiceId: options.practice, devRefId: options.devRefId });
  } catch (error) {
    if (error instanceof InvalidInput) usage(error.message);
    throw error;
  }
  return options.practice;
}

async function sendStandard(options: Options) {
  const practiceId = checkPractice(options);
  if (options.id !== undefined && options.id.trim() === "")
    throw new InvalidArgumentError("--id must not be empty");
  const endpoints = options.url && options.secret ? undefined : readLocalEndpoints();
  const response = await sendCrmDelivery(
    options.url ?? endpoints!.outputs[STACK_OUTPUTS.webhookUrl]!,
    options.secret ?? (await readLocalWebhookSecret(endpoints!)),
    { practiceId, devRefId: options.devRefId, webhookId: options.id, type: options.type },
  );
  return { label: `webhook-id ${response.webhookId}`, status: response.status, body: response.body };
}

async function sendHubSpot(options: Options) {
  if (!options.deal || !/^\d{1,15}$/.test(options.deal))
    usage("--deal <digits> is required with --provider hubspot");
  if (options.id !== undefined && !/^\d{1,15}$/.test(options.id))
    usage("--id must be digits (HubSpot eventId)");
  const endpoints = options.url && options.secret ? undefined : readLocalEndpoints();
  const url = options.url ?? `${endpoints!.httpApiUrl}/webhooks/hubspot`;
  const clientSecret =
    options.secret ?? (await readLocalCrmProviderSecrets(endpoints!)).hubspotClientSecrets[0];
  if (!clientSecret) usage("the local stack has no HubSpot client secret");
  const event = hubspotDealStageEvent({
    dealId: Number(options.deal),
    stage: options.stage,
    ...(options.id === undefined ? {} : { eventId: Number(options.id), occurredAt: new Date(0) }),
  });
  const response = await sendProviderDelivery(signHubSpotDelivery({ url, clientSecret, events: [event] }));
  return { label: `HubSpot eventId ${event.eventId}`, status: response.status, body: response.body };
}

async function sendSalesforce(options: Options) {
  const practiceId = checkPractice(options);
  const id = options.id ?? `04l${Date.now().toString(36).toUpperCase().padStart(12, "0").slice(-12)}`;
  if (!/^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/.test(id))
    usage("--id must be a 15- or 18-character notification Id");
  const endpoints = options.url && options.secret ? undefined : readLocalEndpoints();
  const token = options.secret ?? (await readLocalCrmProviderSecrets(endpoints!)).salesforcePathTokens[0];
  if (!token) usage("the local stack has no Salesforce path token");
  const url = options.url ?? `${endpoints!.httpApiUrl}/webhooks/salesforce/${token}`;
  const response = await sendProviderDelivery(
    buildSalesforceDelivery({
      url,
      organizationId: options.org,
      notifications: [
        {
          id,
          sObjectType: "Account",
          fields: {
            Name: options.devRefId ?? practiceId,
            Practice_Id__c: practiceId,
            Customer_Status__c: options.status,
            LastModifiedDate: new Date().toISOString(),
          },
        },
      ],
    }),
  );
  return { label: `Salesforce notification ${id}`, status: response.status, body: response.body };
}

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<Options>();
  const send = { standard: sendStandard, hubspot: sendHubSpot, salesforce: sendSalesforce }[options.provider];
  const response = await send(options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(response)}\n`);
  } else {
    const body = typeof response.body === "string" ? response.body : JSON.stringify(response.body, null, 2);
    process.stdout.write(`${response.label} → HTTP ${response.status}\n${body}\n`);
  }
  process.exit(response.status < 300 ? 0 : 1);
}

main().catch((error: Error) => {
  process.stderr.write(`npm run webhook: ${error.message}\n`);
  process.exit(1);
});
