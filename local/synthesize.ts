// Synthesizes a CDK app in-process (no esbuild bundling, no AWS account) and returns its stack templates.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import type { CfnTemplate, SynthesizedStack } from "./cloudformation-template.js";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "./fake-aws.js";

/** Context key that lists the stacks whose assets CDK bundles; empty skips esbuild entirely. */
const BUNDLING_STACKS_CONTEXT = "aws:cdk:bundling-stacks";

/**
 * Builds the app with `build` and synthesizes every stack's template. Bundling is skipped (the local engine
 * imports the handler sources directly), so this is fast and needs neither Docker nor network.
 * `CDK_DEFAULT_ACCOUNT`/`CDK_DEFAULT_REGION` are pinned to the local fake account and region while building, so
 * ARNs a stack spells out literally match the ones the local stack makes up, whatever the shell has set.
 */
export function synthesizeTemplates(
  build: (app: App) => unknown,
  context: Record<string, unknown> = {},
): SynthesizedStack[] {
  const outdir = mkdtempSync(path.join(tmpdir(), "local-synth-"));
  const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  process.env.CDK_DEFAULT_ACCOUNT = LOCAL_ACCOUNT_ID;
  process.env.CDK_DEFAULT_REGION = LOCAL_REGION;
  try {
    const app = new App({
      outdir,
      autoSynth: false,
      analyticsReporting: false,
      context: { ...context, [BUNDLING_STACKS_CONTEXT]: [] },
    });
    build(app);
    return app.synth().stacks.map((stack) => ({
      stackName: stack.stackName,
      template: stack.template as CfnTemplate,
    }));
  } finally {
    restore("CDK_DEFAULT_ACCOUNT", saved.account);
    restore("CDK_DEFAULT_REGION", saved.region);
    rmSync(outdir, { recursive: true, force: true });
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
