// Where an ops command acts: the running local stack (`--local`, from .local/endpoints.json) or a deployed stack
// (CloudFormation outputs of `--stack` in `--region`, credentials from the standard chain). Either way the
// commands see the same output names (STACK_OUTPUTS) and the same SDK clients.

import { CloudFormationClient, DescribeStacksCommand, type Stack } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { kmsKeyCipher } from "../functions/key-custody/key-cipher.js";
import type { KeyFingerprinter } from "../functions/key-custody/key-fingerprint.js";
import {
  keyFingerprinterFromSecret,
  type SecretFetcher,
} from "../functions/key-custody/key-fingerprint-secret.js";
import { PracticeStore } from "../functions/practice/practice-store.js";
import {
  KEY_ADMINISTRATOR_ACCESS_KEY_ID,
  OPERATOR_ACCESS_KEY_ID,
} from "../local/authorization/caller-identity.js";
import { LOCAL_CREDENTIALS } from "../local/dynamodb-local.js";
import { DEFAULT_STATE_DIR, readLocalEndpoints, STACK_OUTPUTS } from "../local/local-endpoints.js";
import { OperationFailed } from "./errors.js";
import { DEFAULT_STACK_NAME, type LocalRole, STATE_DIR_VARIABLE } from "./stack-defaults.js";

export interface TargetOptions {
  readonly local?: boolean;
  /** With `local`: who signs (default the operator). */
  readonly localRole?: LocalRole;
  readonly stack?: string;
  readonly region?: string;
  readonly stateDir?: string;
}

export interface OpsTarget {
  /** "the local stack" or "stack PracticeOnboarding (eu-west-1)", for messages. */
  readonly description: string;
  readonly local: boolean;
  readonly outputs: Readonly<Record<string, string>>;
  readonly sfn: SFNClient;
  readonly secretsManager: SecretsManagerClient;
  readonly documentClient: DynamoDBDocumentClient;
  /** How often `--wait` asks for new history events. */
  readonly pollIntervalMs: number;
  /** A stack output, or OperationFailed saying the stack has no `what` yet. */
  output(name: string, what: string): string;
  /** The optional output, or undefined when this stack does not have it. */
  optionalOutput(name: string): string | undefined;
  practiceStore(): PracticeStore;
  /** Fingerprints keys with the stack's fingerprint secret (undefined for a stack without one). */
  keyFingerprinter(): KeyFingerprinter | undefined;
  close(): void;
}

/** The fingerprint secret's fetch for ops: the caller's own Secrets Manager client (no Powertools cache). */
function secretStringOf(secretsManager: SecretsManagerClient): SecretFetcher {
  return async (name) =>
    (await secretsManager.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
}

interface ClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: typeof LOCAL_CREDENTIALS;
}

function buildTarget(
  description: string,
  local: boolean,
  outputs: Record<string, string>,
  awsConfig: ClientConfig,
  dynamoConfig: ClientConfig,
): OpsTarget {
  const sfn = new SFNClient(awsConfig);
  const secretsManager = new SecretsManagerClient(awsConfig);
  // Only `ops import` / `ops migrate-keys` use it (kms:Encrypt, key administrators); no ops policy may decrypt.
  const kms = new KMSClient(awsConfig);
  const dynamo = new DynamoDBClient(dynamoConfig);
  const documentClient = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const optionalOutput = (name: string) => {
    const value = outputs[name];
    return value === undefined || value === "" ? undefined : value;
  };
  return {
    description,
    local,
    outputs,
    sfn,
    secretsManager,
    documentClient,
    pollIntervalMs: local ? 150 : 1000,
    optionalOutput,
    output(name, what) {
      const value = optionalOutput(name);
      if (value === undefined)
        throw new OperationFailed(`${description} has no ${what} yet (stack output ${name} is missing)`);
      return value;
    },
    keyFingerprinter() {
      const fingerprintSecret = optionalOutput(STACK_OUTPUTS.keyFingerprintSecret);
      return fingerprintSecret
        ? keyFingerprinterFromSecret(fingerprintSecret, secretStringOf(secretsManager))
        : undefined;
    },
    practiceStore() {
      const fingerprint = this.keyFingerprinter();
      const custodyKey = optionalOutput(STACK_OUTPUTS.keyCustodyKey);
      return new PracticeStore({
        client: documentClient,
        tableName: this.output(STACK_OUTPUTS.tableName, "practice table"),
        // Read on the first key fingerprinted (import, adopt-key, release-key, migrate-keys); others never ask.
        ...(fingerprint ? { fingerprint } : {}),
        // Used on the first key stored (import, migrate-keys): the table holds keys encrypted (§4 invariant 13).
        ...(custodyKey ? { keyCipher: kmsKeyCipher({ kms, keyId: custodyKey }) } : {}),
      });
    },
    close() {
      kms.destroy();
      sfn.destroy();
      secretsManager.destroy();
      dynamo.destroy();
    },
  };
}

function localTarget(stateDir: string, role: LocalRole): OpsTarget {
  let endpoints: ReturnType<typeof readLocalEndpoints>;
  try {
    endpoints = readLocalEndpoints(stateDir);
  } catch (error) {
    throw new OperationFailed((error as Error).message);
  }
  // Signed as the operator (or a key administrator): the local stack evaluates these calls against exactly the
  // stack's managed policies that person holds.
  const accessKeyId = role === "key-administrator" ? KEY_ADMINISTRATOR_ACCESS_KEY_ID : OPERATOR_ACCESS_KEY_ID;
  const credentials = { ...LOCAL_CREDENTIALS, accessKeyId };
  return buildTarget(
    `the local stack (pid ${endpoints.pid})`,
    true,
    { ...endpoints.outputs },
    { region: endpoints.region, endpoint: endpoints.awsEndpoint, credentials },
    { region: endpoints.region, endpoint: endpoints.dynamoDbEndpoint, credentials },
  );
}

async function awsTarget(stackName: string, region: string | undefined): Promise<OpsTarget> {
  const config: ClientConfig = region ? { region } : {};
  const cloudFormation = new CloudFormationClient(config);
  try {
    const resolvedRegion = await cloudFormation.config.region();
    let stack: Stack | undefined;
    try {
      const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      stack = answer.Stacks?.[0];
    } catch (error) {
      if ((error as Error).name === "ValidationError" && /does not exist/i.test((error as Error).message))
        throw new OperationFailed(
          `stack ${stackName} does not exist in ${resolvedRegion}: deploy it (npx cdk deploy), pass --stack/--region, or use --local`,
        );
      throw error;
    }
    const outputs: Record<string, string> = {};
    for (const output of stack?.Outputs ?? []) {
      if (output.OutputKey && output.OutputValue !== undefined)
        outputs[output.OutputKey] = output.OutputValue;
    }
    return buildTarget(`stack ${stackName} (${resolvedRegion})`, false, outputs, config, config);
  } finally {
    cloudFormation.destroy();
  }
}

/** Resolves the target the global options name. Throws OperationFailed when it cannot be reached. */
export async function resolveTarget(options: TargetOptions): Promise<OpsTarget> {
  if (options.local)
    return localTarget(
      options.stateDir ?? process.env[STATE_DIR_VARIABLE] ?? DEFAULT_STATE_DIR,
      options.localRole ?? "operator",
    );
  return awsTarget(options.stack ?? DEFAULT_STACK_NAME, options.region);
}
