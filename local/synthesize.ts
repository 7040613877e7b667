// Synthesizes a CDK app in-process (no esbuild bundling, no AWS account) and returns its stack templates.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import type { CfnTemplate, SynthesizedStack } from "./cloudformation-template.js";

/** Context key that lists the stacks whose assets CDK bundles; empty skips esbuild entirely. */
const BUNDLING_STACKS_CONTEXT = "aws:cdk:bundling-stacks";

/**
 * Builds the app with `build` and synthesizes every stack's template. Bundling is skipped (the local engine
 * imports the handler sources directly), so this is fast and needs neither Docker nor network.
 */
export function synthesizeTemplates(
  build: (app: App) => unknown,
  context: Record<string, unknown> = {},
): SynthesizedStack[] {
  const outdir = mkdtempSync(path.join(tmpdir(), "local-synth-"));
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
    rmSync(outdir, { recursive: true, force: true });
  }
}
