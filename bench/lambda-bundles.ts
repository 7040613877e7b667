// Finds every Lambda entry of the app and bundles it the way NodejsFunction would: with HandlerFunction's own
// bundling options ("ours") or with NodejsFunction's defaults for nodejs22.x ("cdk-defaults"), for the size and
// cold-init benchmark (bench/bundles.ts) and the bundle guard (test/infra/handler-bundles.test.ts).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { App as CdkApp, FeatureFlags } from "aws-cdk-lib";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as cxapi from "aws-cdk-lib/cx-api";
import { type BuildOptions, build } from "esbuild";
import { buildApp } from "../lib/build-app.js";
import { HANDLER_BUNDLING, HANDLER_ENTRY_METADATA, PROJECT_ROOT } from "../lib/handler-function.js";
import { synthesizeTemplates } from "../local/synthesize.js";

/** Where bundles are written (gitignored). */
export const BENCH_WORK_DIR = path.join(PROJECT_ROOT, "bench", ".work");

/** The two ways a handler is bundled: as deployed, and as NodejsFunction would without our options. */
export type BundleVariant = "ours" | "cdk-defaults";

/** NodejsFunction `bundling` props per variant; the defaults are "no props at all". */
export const VARIANT_BUNDLING: Readonly<Record<BundleVariant, Readonly<nodejs.BundlingOptions>>> = {
  ours: HANDLER_BUNDLING,
  "cdk-defaults": {},
};

/** The runtime every HandlerFunction uses; NodejsFunction derives the default esbuild target from it. */
const RUNTIME_NODE_MAJOR = 22;

export interface HandlerEntry {
  /** Entry file relative to the project root, e.g. `functions/webhook/crm-webhook.ts`. */
  readonly entry: string;
  /** Where it was found: a function in the synthesized stack, and/or a `functions/<capability>/*.ts` exporting `handler`. */
  readonly foundIn: readonly ("stack" | "functions-dir")[];
  /** The function's literal environment values from the template (token values left out); empty if not in it. */
  readonly environment: Readonly<Record<string, string>>;
}

interface TemplateFunction {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties?: { Environment?: { Variables?: Record<string, unknown> } };
}

/** Entries named by `practice-onboarding:entry` metadata on the synthesized app's Lambda functions. */
export function entriesInStack(): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>();
  for (const { template } of synthesizeTemplates(buildApp)) {
    for (const resource of Object.values(template.Resources ?? {}) as TemplateFunction[]) {
      if (resource.Type !== "AWS::Lambda::Function") continue;
      const entry = resource.Metadata?.[HANDLER_ENTRY_METADATA];
      if (typeof entry !== "string") continue;
      const variables = resource.Properties?.Environment?.Variables ?? {};
      const literal = Object.entries(variables).filter((pair): pair is [string, string] => {
        return typeof pair[1] === "string";
      });
      found.set(entry, Object.fromEntries(literal));
    }
  }
  return found;
}

/** `functions/<capability>/*.ts` files whose module exports `handler` (read by esbuild, so any export form counts). */
export async function entriesInFunctionsDir(): Promise<string[]> {
  const dir = path.join(PROJECT_ROOT, "functions");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (name) => name.endsWith(".ts") && !name.endsWith(".d.ts") && statSync(path.join(dir, name)).isFile(),
  );
  const withHandler = await Promise.all(
    files.map(async (name) => {
      const result = await build({
        entryPoints: [path.join(dir, name)],
        bundle: false,
        format: "esm",
        platform: "node",
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      const [output] = Object.values(result.metafile.outputs);
      return output?.exports.includes("handler") ? `functions/${name.split(path.sep).join("/")}` : undefined;
    }),
  );
  return withHandler.filter((entry): entry is string => entry !== undefined).sort();
}

/**
 * Every Lambda entry: the stack's functions (by their entry metadata) plus, until every workflow is wired into
 * the stack, each `functions/<capability>/*.ts` that exports `handler`. Sorted by entry.
 */
export async function discoverHandlerEntries(): Promise<HandlerEntry[]> {
  const inStack = entriesInStack();
  const inDir = new Set(await entriesInFunctionsDir());
  const entries = [...new Set([...inStack.keys(), ...inDir])].sort();
  return entries.map((entry) => ({
    entry,
    foundIn: [
      ...(inStack.has(entry) ? ["stack" as const] : []),
      ...(inDir.has(entry) ? ["functions-dir" as const] : []),
    ],
    environment: inStack.get(entry) ?? {},
  }));
}

/** NodejsFunction's default SDK externals, which depend on a feature flag (read from cdk.json like the CLI). */
export function cdkDefaultSdkExternals(): string[] {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "cdk.json"), "utf8")) as {
    context?: Record<string, unknown>;
  };
  const app = new CdkApp({ context: cdkJson.context ?? {} });
  return FeatureFlags.of(app).isEnabled(cxapi.LAMBDA_NODEJS_SDK_V3_EXCLUDE_SMITHY_PACKAGES)
    ? ["@aws-sdk/*", "@smithy/*"]
    : ["@aws-sdk/*"];
}

/** Props NodejsFunction passes to esbuild and this translation handles; anything else fails loudly. */
const TRANSLATED = new Set([
  "format",
  "minify",
  "sourceMap",
  "sourceMapMode",
  "sourcesContent",
  "bundleAwsSDK",
  "externalModules",
  "mainFields",
  "target",
  "banner",
  "footer",
  "define",
  "keepNames",
]);

/**
 * The esbuild options NodejsFunction (aws-lambda-nodejs/lib/bundling.js, `buildEsbuildArgs`) derives from its
 * `bundling` props for a nodejs22.x function: `--bundle --platform=node --target=node22`, the format only if
 * given (esbuild then defaults to CommonJS), the SDK external unless bundled, esbuild's own main fields unless
 * given, no minify and no source map unless asked. The output is `index.mjs` for ESM and `index.js` otherwise.
 */
export function esbuildOptionsFor(
  bundling: Readonly<nodejs.BundlingOptions>,
  sdkExternals: readonly string[] = cdkDefaultSdkExternals(),
): BuildOptions & { outputFile: string } {
  const untranslated = Object.keys(bundling).filter((key) => !TRANSLATED.has(key));
  if (untranslated.length > 0) {
    throw new Error(
      `bench/lambda-bundles.ts does not translate NodejsFunction bundling option(s) ${untranslated.join(", ")}; ` +
        "add them to esbuildOptionsFor so the benchmark builds what CDK deploys",
    );
  }
  const sourceMapMode =
    bundling.sourceMapMode ?? (bundling.sourceMap ? nodejs.SourceMapMode.DEFAULT : undefined);
  // CDK's `--sourcemap` with no value is esbuild's linked map (a `.map` file and a sourceMappingURL comment).
  const sourcemap = sourceMapMode === nodejs.SourceMapMode.DEFAULT ? ("linked" as const) : sourceMapMode;
  const format =
    bundling.format === undefined ? undefined : bundling.format === nodejs.OutputFormat.ESM ? "esm" : "cjs";
  return {
    bundle: true,
    platform: "node",
    target: bundling.target ?? `node${RUNTIME_NODE_MAJOR}`,
    ...(format ? { format } : {}),
    minify: bundling.minify ?? false,
    ...(sourcemap ? { sourcemap, sourcesContent: bundling.sourcesContent ?? true } : {}),
    external: [...(bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : sdkExternals))],
    ...(bundling.mainFields ? { mainFields: [...bundling.mainFields] } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.define ? { define: { ...bundling.define } } : {}),
    keepNames: bundling.keepNames ?? false,
    outputFile: format === "esm" ? "index.mjs" : "index.js",
  };
}

export interface BuiltBundle {
  readonly entry: string;
  readonly variant: BundleVariant;
  /** Absolute path of the bundle (its directory holds only what the Lambda asset would). */
  readonly file: string;
  readonly format: "esm" | "cjs";
  /** Size of the JavaScript file, as deployed (minified for "ours"). */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Size of the source map shipped beside it; 0 when there is none. */
  readonly sourceMapBytes: number;
  /** Packages the bundle still imports, for the runtime to resolve (the SDK for "cdk-defaults"). */
  readonly externals: readonly string[];
  /**
   * Those of them it imports at load (`import … from`, `require()`), not lazily through `import()`. The Lambda
   * runtime offers only the SDK, and an ESM bundle cannot even find that (ESM ignores NODE_PATH), so for "ours"
   * any entry here fails every cold start.
   */
  readonly loadTimeExternals: readonly string[];
  /** Source files (project-relative) that put code into the bundle: what it carries, e.g. a client it should not. */
  readonly inputs: readonly string[];
}

/** `functions/webhook/crm-webhook.ts` → `crm-webhook`. */
export function handlerName(entry: string): string {
  return path.basename(entry).replace(/\.ts$/, "");
}

/**
 * Bundles `entry` (relative to the project root) as `variant` into `<outDir>/<variant>/<handler>/`. The
 * directory gets a `package.json` of its own, so Node reads `index.js` as CommonJS as Lambda does, not as the
 * project's ESM.
 */
export async function buildBundle(
  entry: string,
  variant: BundleVariant,
  options: { outDir?: string; sdkExternals?: readonly string[] } = {},
): Promise<BuiltBundle> {
  const { outputFile, ...esbuildOptions } = esbuildOptionsFor(
    VARIANT_BUNDLING[variant],
    options.sdkExternals,
  );
  const dir = path.join(options.outDir ?? path.join(BENCH_WORK_DIR, "bundles"), variant, handlerName(entry));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), "{}\n");
  const file = path.join(dir, outputFile);
  const result = await build({
    ...esbuildOptions,
    entryPoints: [path.join(PROJECT_ROOT, entry)],
    outfile: file,
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: "silent",
  });
  const code = readFileSync(file);
  const mapFile = `${file}.map`;
  let sourceMapBytes = 0;
  try {
    sourceMapBytes = statSync(mapFile).size;
  } catch {
    // No source map for this variant.
  }
  const packageImports = Object.values(result.metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((imported) => imported.external && !isBuiltin(imported.path));
  const distinct = (paths: string[]) => [...new Set(paths)].sort();
  return {
    entry,
    variant,
    file,
    format: esbuildOptions.format === "esm" ? "esm" : "cjs",
    bytes: code.byteLength,
    gzipBytes: gzipSync(code).byteLength,
    sourceMapBytes,
    externals: distinct(packageImports.map((imported) => imported.path)),
    loadTimeExternals: distinct(
      packageImports
        .filter((imported) => imported.kind !== "dynamic-import")
        .map((imported) => imported.path),
    ),
    inputs: Object.values(result.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([input]) => input),
    ),
  };
}
