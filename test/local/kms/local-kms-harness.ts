// The KMS fixture stack served by a local AWS endpoint, with KMS clients signed as any access key id.
import { KMSClient } from "@aws-sdk/client-kms";
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from "../../../local/aws-json-endpoint.js";
import type { SynthesizedStack } from "../../../local/cloudformation-template.js";
import { localKmsService } from "../../../local/kms/kms-service.js";
import { LocalKms, type LocalKmsOptions } from "../../../local/kms/local-kms.js";
import { LocalSecretStore } from "../../../local/local-secret-store.js";
import { synthesizeTemplates } from "../../../local/synthesize.js";
import { TemplateResolver } from "../../../local/template-resolver.js";
import { LocalWorkflowEngine } from "../../../local/workflow-engine.js";
import { buildKmsFixtureApp } from "./kms-fixture-app.js";

export interface KmsHarness {
  readonly templates: SynthesizedStack[];
  /** The fixture's outputs as the template resolver gives them to functions (`CustodyKeyArn`, …). */
  readonly outputs: Readonly<Record<string, string>>;
  readonly endpoint: LocalAwsEndpoint;
  /** A KMS client of the endpoint, signing with `accessKeyId` (what the authorizer sees as the caller). */
  client(accessKeyId?: string, options?: { maxAttempts?: number }): KMSClient;
  close(): Promise<void>;
}

export async function startKmsHarness(options: LocalKmsOptions = {}): Promise<KmsHarness> {
  const templates = synthesizeTemplates(buildKmsFixtureApp);
  const [stack] = templates;
  const resolver = new TemplateResolver(stack!.template, { stackName: stack!.stackName });
  const outputs = Object.fromEntries(
    Object.entries(stack!.template.Outputs ?? {}).map(([name, output]) => [
      name,
      resolver.resolveString((output as { Value: unknown }).Value, name),
    ]),
  );
  const engine = new LocalWorkflowEngine({ templates });
  const endpoint = await startLocalAwsEndpoint({
    engine,
    secrets: LocalSecretStore.fromTemplates(templates),
    services: [localKmsService(LocalKms.fromTemplates(templates, options))],
  });
  const clients: KMSClient[] = [];
  return {
    templates,
    outputs,
    endpoint,
    client(accessKeyId = "local", clientOptions = {}) {
      const client = new KMSClient({
        endpoint: endpoint.url,
        region: "us-east-1",
        credentials: { accessKeyId, secretAccessKey: "local" },
        ...clientOptions,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await endpoint.close();
      await engine.close();
    },
  };
}
