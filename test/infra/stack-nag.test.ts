// The whole app under cdk-nag's AWS Solutions and HIPAA Security packs: every finding is fixed or acknowledged
// narrowly (one resource, one rule, a reason) in the construct that owns the resource.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, HIPAASecurityChecks } from "cdk-nag";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp } from "../../lib/build-app.js";

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly severity?: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

const outdir = mkdtempSync(join(tmpdir(), "stack-nag-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** `severity ruleName at constructPath` for every unacknowledged finding; empty when the app is clean. */
function unacknowledgedFindings(context: Record<string, unknown> = {}): string[] {
  const app = new App({ outdir, context: { "aws:cdk:bundling-stacks": [], ...context } });
  buildApp(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  try {
    app.synth();
  } catch (error) {
    if (!String(error).includes("Validation failed")) throw error;
  }
  // Written whenever a plugin reports anything, warnings included; absent when every pack found nothing.
  const reportFile = join(outdir, "validation-report.json");
  if (!existsSync(reportFile)) return [];
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as ValidationReport;
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) => `${violation.severity ?? "?"} ${violation.ruleName} at ${construct.constructPath}`,
      ),
    ),
  );
}

describe("PracticeOnboarding app under cdk-nag", () => {
  it("has no unacknowledged AwsSolutions or HIPAA.Security errors or warnings", () => {
    const findings = unacknowledgedFindings();
    expect(findings, `unacknowledged findings:\n${findings.join("\n")}`).toEqual([]);
  });

  it("has none with the optional activation auto-issue deployed (autoIssueActivationLinks)", () => {
    const findings = unacknowledgedFindings({ autoIssueActivationLinks: "true" });
    expect(findings, `unacknowledged findings:\n${findings.join("\n")}`).toEqual([]);
  });
});
