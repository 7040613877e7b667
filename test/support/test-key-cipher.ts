// Key custody's cipher for tests that build their own stores on DynamoDB Local: the real kmsKeyCipher
// (functions/key-custody/key-cipher.ts) over the local KMS (local/kms/local-kms.ts) in this process — the same
// blob format, encryption-context binding and errors as the local stack's KMS endpoint, without an HTTP hop.
import { DecryptCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { type KeyCipher, kmsKeyCipher } from "../../functions/key-custody/key-cipher.js";
import type { SynthesizedStack } from "../../local/cloudformation-template.js";
import { LOCAL_CREDENTIALS } from "../../local/dynamodb-local.js";
import { LocalKms } from "../../local/kms/local-kms.js";
import { STACK_OUTPUTS } from "../../local/local-endpoints.js";
import { TemplateResolver } from "../../local/template-resolver.js";

const kms = new LocalKms();
const TEST_CUSTODY_KEY_ARN = kms.defineKey("test-custody-key", { description: "test CustomerKeys" });

/** What the SDK client's `send` does for the two commands the cipher sends, answered by the local KMS. */
const send = (async (command: unknown) => {
  if (command instanceof EncryptCommand) {
    const input = command.input;
    const { ciphertextBlob, keyArn } = kms.encrypt(
      input.KeyId!,
      Buffer.from(input.Plaintext!),
      input.EncryptionContext ?? {},
    );
    return { CiphertextBlob: new Uint8Array(ciphertextBlob), KeyId: keyArn };
  }
  if (command instanceof DecryptCommand) {
    const input = command.input;
    const { plaintext, keyArn } = kms.decrypt(
      Buffer.from(input.CiphertextBlob!),
      input.EncryptionContext ?? {},
      input.KeyId,
    );
    return { Plaintext: new Uint8Array(plaintext), KeyId: keyArn };
  }
  throw new Error(`the test KMS answers Encrypt and Decrypt only, not ${String(command)}`);
}) as KMSClient["send"];

/** Encrypts and decrypts under one in-process custody key (every test store shares it). */
export const testKeyCipher: KeyCipher = kmsKeyCipher({ kms: { send }, keyId: TEST_CUSTODY_KEY_ARN });

/**
 * The cipher of a harness's or local stack's own KMS (its custody key, as the functions use it), signed with the
 * developer's local credentials (not evaluated): for a test that writes or opens a key the functions also use.
 */
export function stackKeyCipher(options: {
  readonly endpoint: string;
  readonly custodyKeyArn: string;
  readonly region?: string;
}): KeyCipher {
  const kms = new KMSClient({
    endpoint: options.endpoint,
    region: options.region ?? "us-east-1",
    credentials: LOCAL_CREDENTIALS,
  });
  return kmsKeyCipher({ kms, keyId: options.custodyKeyArn });
}

/** The custody key's ARN as the templates' `KeyCustodyKeyArn`-style output resolves locally. */
export function custodyKeyArnOf(templates: readonly SynthesizedStack[]): string {
  for (const stack of templates) {
    const output = stack.template.Outputs?.[STACK_OUTPUTS.keyCustodyKey] as { Value: unknown } | undefined;
    if (!output) continue;
    const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName });
    return resolver.resolveString(output.Value, STACK_OUTPUTS.keyCustodyKey);
  }
  throw new Error("the templates have no custody key output");
}
