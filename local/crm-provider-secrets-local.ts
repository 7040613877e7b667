// The local stack's side of the CRM provider routes: the mapping the template carries is validated before
// anything starts (the same check the function makes at cold start), and the provider secret gets generated
// values, as an operator would put after a deploy (README, "HubSpot and Salesforce").
import { randomBytes } from "node:crypto";
import type { CrmProviderSecrets } from "../functions/webhook/crm-provider-secrets.js";
import { parseCrmMappingJson } from "../functions/webhook/providers/crm-mapping.js";
import type { SynthesizedStack } from "./cloudformation-template.js";

/**
 * Validates every CRM_MAPPING a function of the templates carries.
 * @throws ConfigurationError naming the bad path, so `npm start` stops before serving anything.
 */
export function checkCrmMappings(stacks: readonly SynthesizedStack[]): void {
  for (const { template } of stacks) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const variables = (
        resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
      )?.Variables;
      const mapping = variables?.CRM_MAPPING;
      if (typeof mapping === "string") parseCrmMappingJson(mapping, "CRM mapping (config/crm-mapping.json)");
    }
  }
}

/** One HubSpot client secret and one Salesforce path token, random. */
export function generateCrmProviderSecrets(): CrmProviderSecrets {
  return {
    hubspotClientSecrets: [randomBytes(18).toString("base64url")],
    salesforcePathTokens: [randomBytes(24).toString("base64url")],
  };
}
