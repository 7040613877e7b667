// Resolves CloudFormation intrinsic functions in a synthesized template to the local stack's fake names and ARNs.
import type { CfnResource, CfnTemplate } from "./cloudformation-template.js";
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_PARTITION,
  LOCAL_REGION,
  lambdaFunctionArn,
  secretArn,
  stateMachineArn,
} from "./fake-aws.js";

export interface TemplateResolverOptions {
  /** Stack name, for `AWS::StackName`. */
  readonly stackName: string;
  /**
   * Physical names chosen by the caller, by logical id (e.g. the DynamoDB Local table names), used where `Ref`
   * returns a name and inside the ARNs built from it. @default the resource's own name property, else its logical id
   */
  readonly resourceNames?: Readonly<Record<string, string>>;
}

/** Raised when a template uses an intrinsic or attribute the local stack cannot give a faithful value for. */
export class UnresolvableTemplateValue extends Error {
  override readonly name = "UnresolvableTemplateValue";
}

const NO_VALUE = Symbol("AWS::NoValue");

/** Each resource type's name property (what `Ref` returns when the type's `Ref` is a name). */
const NAME_PROPERTY: Record<string, string> = {
  "AWS::Lambda::Function": "FunctionName",
  "AWS::DynamoDB::Table": "TableName",
  "AWS::DynamoDB::GlobalTable": "TableName",
  "AWS::StepFunctions::StateMachine": "StateMachineName",
  "AWS::SecretsManager::Secret": "Name",
  "AWS::IAM::Role": "RoleName",
  "AWS::Logs::LogGroup": "LogGroupName",
  "AWS::SQS::Queue": "QueueName",
  "AWS::SNS::Topic": "TopicName",
  "AWS::Events::EventBus": "Name",
  "AWS::Events::Rule": "Name",
  "AWS::Scheduler::Schedule": "Name",
};

export class TemplateResolver {
  private readonly resources: Record<string, CfnResource>;

  constructor(
    private readonly template: CfnTemplate,
    private readonly options: TemplateResolverOptions,
  ) {
    this.resources = template.Resources ?? {};
  }

  /** The resource's physical name: caller's choice, else its name property if a plain string, else its logical id. */
  physicalName(logicalId: string): string {
    const chosen = this.options.resourceNames?.[logicalId];
    if (chosen) return chosen;
    const resource = this.resource(logicalId, "Ref");
    const property = NAME_PROPERTY[resource.Type];
    const declared = property ? resource.Properties?.[property] : undefined;
    if (declared !== undefined) {
      const resolved = this.resolve(declared, `${logicalId}.Properties.${property}`);
      if (typeof resolved === "string") return resolved;
    }
    return logicalId;
  }

  /** Resolves every intrinsic function inside `value`; `where` names the place for error messages. */
  resolve(value: unknown, where: string): unknown {
    const resolved = this.resolveValue(value, where);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Resolves `value` and insists on a string. */
  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== "string")
      throw new UnresolvableTemplateValue(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private resolveValue(value: unknown, where: string): unknown {
    if (Array.isArray(value)) {
      return value
        .map((item, i) => this.resolveValue(item, `${where}[${i}]`))
        .filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, argument] = entries[0]!;
      if (key === "Ref") return this.ref(this.resolveString(argument, where), where);
      if (key.startsWith("Fn::") || key === "Condition") return this.intrinsic(key, argument, where);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolveValue(item, `${where}.${key}`);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, argument: unknown, where: string): unknown {
    const at = `${where} (${name})`;
    switch (name) {
      case "Fn::Join": {
        const [separator, parts] = this.array(argument, 2, at);
        const resolvedParts = this.resolveValue(parts, at);
        if (!Array.isArray(resolvedParts)) throw new UnresolvableTemplateValue(`${at}: list expected`);
        return resolvedParts.map((part) => this.scalar(part, at)).join(String(separator));
      }
      case "Fn::GetAtt": {
        const [logicalId, attribute] =
          typeof argument === "string"
            ? [argument.slice(0, argument.indexOf(".")), argument.slice(argument.indexOf(".") + 1)]
            : this.array(argument, 2, at).map((part) => this.resolveString(part, at));
        return this.getAtt(String(logicalId), String(attribute), at);
      }
      case "Fn::Sub":
        return this.sub(argument, at);
      case "Fn::Select": {
        const [index, list] = this.array(argument, 2, at);
        const resolvedList = this.resolveValue(list, at);
        const i = Number(this.resolveValue(index, at));
        if (!Array.isArray(resolvedList) || !(i in resolvedList))
          throw new UnresolvableTemplateValue(`${at}: index ${i} out of range`);
        return resolvedList[i];
      }
      case "Fn::Split": {
        const [separator, source] = this.array(argument, 2, at);
        return this.resolveString(source, at).split(String(separator));
      }
      case "Fn::Base64":
        return Buffer.from(this.resolveString(argument, at)).toString("base64");
      case "Fn::GetAZs":
        return ["a", "b", "c"].map((zone) => `${LOCAL_REGION}${zone}`);
      case "Fn::FindInMap": {
        const [map, top, second] = this.array(argument, 3, at).map((part) => this.resolveString(part, at));
        const found = this.template.Mappings?.[map!]?.[top!]?.[second!];
        if (found === undefined)
          throw new UnresolvableTemplateValue(`${at}: no mapping ${map}.${top}.${second}`);
        return found;
      }
      case "Fn::If": {
        const [condition, whenTrue, whenFalse] = this.array(argument, 3, at);
        return this.condition(String(condition), at)
          ? this.resolveValue(whenTrue, at)
          : this.resolveValue(whenFalse, at);
      }
      case "Fn::Equals": {
        const [left, right] = this.array(argument, 2, at).map((part) => this.resolveValue(part, at));
        return JSON.stringify(left) === JSON.stringify(right);
      }
      case "Fn::Not":
        return !this.resolveValue(this.array(argument, 1, at)[0], at);
      case "Fn::And":
        return this.array(argument, 2, at).every((part) => this.resolveValue(part, at) === true);
      case "Fn::Or":
        return this.array(argument, 2, at).some((part) => this.resolveValue(part, at) === true);
      case "Condition":
        return this.condition(String(argument), at);
      default:
        throw new UnresolvableTemplateValue(`${at}: ${name} is not supported by the local stack`);
    }
  }

  private condition(name: string, where: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new UnresolvableTemplateValue(`${where}: unknown condition ${name}`);
    return this.resolveValue(definition, `Conditions.${name}`) === true;
  }

  private sub(argument: unknown, where: string): string {
    const [text, variables] = typeof argument === "string" ? [argument, {}] : this.array(argument, 2, where);
    const resolvedVariables = this.resolveValue(variables ?? {}, where) as Record<string, unknown>;
    return String(text).replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, reference: string) => {
      if (literal) return `\${${reference}}`;
      if (reference in resolvedVariables) return this.scalar(resolvedVariables[reference], where);
      const dot = reference.indexOf(".");
      if (dot > 0 && !reference.startsWith("AWS::"))
        return this.scalar(this.getAtt(reference.slice(0, dot), reference.slice(dot + 1), where), where);
      return this.scalar(this.ref(reference, where), where);
    });
  }

  private ref(name: string, where: string): unknown {
    switch (name) {
      case "AWS::Region":
        return LOCAL_REGION;
      case "AWS::AccountId":
        return LOCAL_ACCOUNT_ID;
      case "AWS::Partition":
        return LOCAL_PARTITION;
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::StackName":
        return this.options.stackName;
      case "AWS::StackId":
        return `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stack/${this.options.stackName}/local`;
      case "AWS::NoValue":
        return NO_VALUE;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined)
        throw new UnresolvableTemplateValue(`${where}: parameter ${name} has no default value`);
      return parameter.Default;
    }
    const resource = this.resource(name, where);
    switch (resource.Type) {
      case "AWS::StepFunctions::StateMachine":
        return stateMachineArn(this.physicalName(name));
      case "AWS::SecretsManager::Secret":
        return secretArn(this.physicalName(name));
      case "AWS::SNS::Topic":
        return this.arn("sns", this.physicalName(name));
      case "AWS::IAM::ManagedPolicy":
        return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:policy/${this.physicalName(name)}`;
      case "AWS::SQS::Queue":
        return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${this.physicalName(name)}`;
      default:
        return this.physicalName(name);
    }
  }

  private getAtt(logicalId: string, attribute: string, where: string): string {
    const resource = this.resource(logicalId, where);
    const name = this.physicalName(logicalId);
    const type = resource.Type;
    if (attribute === "Arn" || attribute === "TopicArn") {
      switch (type) {
        case "AWS::Lambda::Function":
          return lambdaFunctionArn(logicalId);
        case "AWS::DynamoDB::Table":
        case "AWS::DynamoDB::GlobalTable":
          return this.arn("dynamodb", `table/${name}`);
        case "AWS::StepFunctions::StateMachine":
          return stateMachineArn(name);
        case "AWS::SecretsManager::Secret":
          return secretArn(name);
        case "AWS::IAM::Role":
          return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}`;
        case "AWS::KMS::Key":
          return this.arn("kms", `key/${name}`);
        case "AWS::Logs::LogGroup":
          return this.arn("logs", `log-group:${name}:*`);
        case "AWS::SNS::Topic":
          return this.arn("sns", name);
        case "AWS::SQS::Queue":
          return this.arn("sqs", name);
        case "AWS::Events::EventBus":
          return this.arn("events", `event-bus/${name}`);
        default: {
          const [, service = "unknown", kind = "resource"] = type.split("::");
          return this.arn(service.toLowerCase(), `${kind.toLowerCase()}/${name}`);
        }
      }
    }
    if (attribute === "StreamArn")
      return this.arn("dynamodb", `table/${name}/stream/1970-01-01T00:00:00.000`);
    if (["Name", "TopicName", "QueueName", "RoleId", "KeyId", "Id"].includes(attribute)) return name;
    if (attribute === "QueueUrl")
      return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${name}`;
    throw new UnresolvableTemplateValue(
      `${where}: attribute ${attribute} of ${logicalId} (${type}) has no local value`,
    );
  }

  private arn(service: string, resource: string): string {
    return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${resource}`;
  }

  private resource(logicalId: string, where: string): CfnResource {
    const resource = this.resources[logicalId];
    if (!resource)
      throw new UnresolvableTemplateValue(`${where}: no resource or parameter named ${logicalId}`);
    return resource;
  }

  private array(argument: unknown, minLength: number, where: string): unknown[] {
    if (!Array.isArray(argument) || argument.length < minLength)
      throw new UnresolvableTemplateValue(`${where}: expected a list of at least ${minLength} items`);
    return argument;
  }

  private scalar(value: unknown, where: string): string {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      return String(value);
    throw new UnresolvableTemplateValue(`${where}: expected a string, got ${JSON.stringify(value)}`);
  }
}
