// In-memory Secrets Manager for the local stack: secrets addressed by name, full ARN or partial ARN, with versions.
import { randomUUID } from "node:crypto";
import { InvalidParameterException, ResourceNotFoundException } from "./aws-service-errors.js";
import type { SynthesizedStack } from "./cloudformation-template.js";
import { secretArn, secretPartialArn } from "./fake-aws.js";
import { TemplateResolver } from "./template-resolver.js";

export interface SecretValue {
  readonly arn: string;
  readonly name: string;
  readonly versionId: string;
  readonly secretString: string;
  readonly versionStages: string[];
  readonly createdDate: Date;
}

export interface SecretDescription {
  readonly arn: string;
  readonly name: string;
  readonly description?: string;
  readonly createdDate: Date;
  readonly lastChangedDate?: Date;
  readonly versionIdsToStages: Record<string, string[]>;
}

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly createdDate: Date;
  lastChangedDate?: Date;
  current?: { versionId: string; secretString: string; createdDate: Date };
  previous?: { versionId: string; secretString: string; createdDate: Date };
}

export class LocalSecretStore {
  private readonly secrets = new Map<string, StoredSecret>();

  /**
   * A store holding every `AWS::SecretsManager::Secret` of the templates, under the name and the ARN the
   * templates' `Ref`s resolve to. Values come later (putSecretValue), as after a real deploy.
   */
  static fromTemplates(stacks: readonly SynthesizedStack[]): LocalSecretStore {
    const store = new LocalSecretStore();
    for (const stack of stacks) {
      const resolver = new TemplateResolver(stack.template, { stackName: stack.stackName });
      for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
        if (resource.Type !== "AWS::SecretsManager::Secret") continue;
        const description = resource.Properties?.Description;
        store.define(resolver.physicalName(logicalId), {
          ...(typeof description === "string" ? { description } : {}),
        });
      }
    }
    return store;
  }

  /** Declares a secret (e.g. one imported by name); a value is optional. Redefining an existing name is a no-op. */
  define(name: string, options: { description?: string; secretString?: string } = {}): SecretDescription {
    if (!this.secrets.has(name)) {
      this.secrets.set(name, {
        name,
        arn: secretArn(name),
        createdDate: new Date(),
        ...(options.description ? { description: options.description } : {}),
      });
    }
    if (options.secretString !== undefined) this.putSecretValue(name, options.secretString);
    return this.describeSecret(name);
  }

  getSecretValue(secretId: string, versionStage = "AWSCURRENT"): SecretValue {
    const secret = this.find(secretId);
    const version = versionStage === "AWSPREVIOUS" ? secret.previous : secret.current;
    if (!version || (versionStage !== "AWSCURRENT" && versionStage !== "AWSPREVIOUS"))
      throw new ResourceNotFoundException(
        `Secrets Manager can't find the specified secret value for staging label: ${versionStage}`,
      );
    return {
      arn: secret.arn,
      name: secret.name,
      versionId: version.versionId,
      secretString: version.secretString,
      versionStages: [versionStage],
      createdDate: version.createdDate,
    };
  }

  putSecretValue(
    secretId: string,
    secretString: string,
  ): { arn: string; name: string; versionId: string; versionStages: string[] } {
    if (typeof secretString !== "string" || secretString.length === 0)
      throw new InvalidParameterException("You must provide a non-empty SecretString");
    const secret = this.find(secretId);
    secret.previous = secret.current;
    secret.current = { versionId: randomUUID(), secretString, createdDate: new Date() };
    secret.lastChangedDate = secret.current.createdDate;
    return {
      arn: secret.arn,
      name: secret.name,
      versionId: secret.current.versionId,
      versionStages: ["AWSCURRENT"],
    };
  }

  describeSecret(secretId: string): SecretDescription {
    const secret = this.find(secretId);
    const versionIdsToStages: Record<string, string[]> = {};
    if (secret.current) versionIdsToStages[secret.current.versionId] = ["AWSCURRENT"];
    if (secret.previous) versionIdsToStages[secret.previous.versionId] = ["AWSPREVIOUS"];
    return {
      arn: secret.arn,
      name: secret.name,
      ...(secret.description ? { description: secret.description } : {}),
      createdDate: secret.createdDate,
      ...(secret.lastChangedDate ? { lastChangedDate: secret.lastChangedDate } : {}),
      versionIdsToStages,
    };
  }

  /** By name, by full ARN, or by the partial ARN (no random suffix) CDK writes for secrets imported by name. */
  private find(secretId: string): StoredSecret {
    if (typeof secretId !== "string" || secretId.length === 0)
      throw new InvalidParameterException("You must provide a SecretId");
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    for (const secret of this.secrets.values()) {
      if (secret.arn === secretId || secretPartialArn(secret.name) === secretId) return secret;
    }
    throw new ResourceNotFoundException("Secrets Manager can't find the specified secret.");
  }
}
