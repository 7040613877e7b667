// The parts of a synthesized CloudFormation template the local stack reads.

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

/** One stack of a synthesized app. */
export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
}
