// Guard on every Lambda bundle, built exactly as HandlerFunction deploys it: its size (most of a cold start,
// docs/architecture.md §8; a stray import of all of zod or a whole SDK shows up here first), that it loads as the ESM file
// Lambda runs and exports the handler, that every package it needs at load is inside it, and that it carries an
// SDK client or the portal client only when its function uses them. Timing lives in `npm run bench:bundles`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltBundle, buildBundle, discoverHandlerEntries } from "../../bench/lambda-bundles.js";
import { fixtureFor } from "../../bench/lambda-event-fixtures.js";

/** Issue 8: the build fails past this; the benchmark's own target is 350 KB. */
const MAX_MINIFIED_BYTES = 500_000;

/** What each handler may carry; a new handler must be added here (the test names any that is not). */
const CARRIES: Readonly<Record<string, readonly Dependency[]>> = {
  // kms: the page opens the key when the office reveals it (docs/architecture.md §4 invariant 13).
  "functions/activation/activation-page.ts": ["dynamodb", "kms"],
  // Its PracticeActivationLinkIssued goes into the outbox with the link: no EventBridge client.
  "functions/activation/activation-auto-issue.ts": ["dynamodb"],
  // dynamodb: one projected GetItem, to answer a stale request "stale" (the ordering rule).
  "functions/webhook/crm-webhook.ts": ["dynamodb", "secrets", "sfn"],
  "functions/webhook/provider-webhook.ts": ["secrets", "sfn"],
  "functions/webhook/offboarding-request-start.ts": ["sfn"],
  "functions/offboarding/offboarding-claim.ts": ["dynamodb"],
  "functions/offboarding/offboarding-compensate.ts": ["dynamodb"],
  "functions/offboarding/offboarding-disable-key.ts": ["dynamodb", "kms", "portal", "secrets"],
  "functions/offboarding/offboarding-record.ts": ["dynamodb"],
  "functions/onboarding/onboarding-claim.ts": ["dynamodb"],
  "functions/onboarding/onboarding-compensate.ts": ["dynamodb", "kms", "portal", "secrets"],
  "functions/onboarding/onboarding-create-key.ts": ["dynamodb", "kms", "portal", "secrets"],
  "functions/onboarding/onboarding-label-and-record.ts": ["dynamodb", "kms", "portal", "secrets"],
  "functions/onboarding/onboarding-reenable-key.ts": ["dynamodb", "kms", "portal", "secrets"],
  "functions/domain-events/outbox-stream-handler.ts": ["eventbridge"],
  "functions/claim-release/release-claim.ts": ["dynamodb", "kms", "portal", "secrets"],
  "functions/reconciliation/reconciliation-check-practices.ts": ["dynamodb", "sfn"],
  "functions/reconciliation/reconciliation-classify-candidates.ts": ["dynamodb", "sfn"],
  // ReconciliationCompleted and PracticeKeyInstalled go into the outbox: only its delivery carries EventBridge.
  "functions/reconciliation/reconciliation-finish.ts": ["dynamodb"],
  // kms: the listing stores candidates' and repairs' keys encrypted, the repair opens them (§4 invariant 13).
  "functions/reconciliation/reconciliation-list-keys.ts": ["dynamodb", "kms", "portal", "secrets"],
  "functions/reconciliation/reconciliation-repair.ts": ["dynamodb", "kms", "portal", "secrets", "sfn"],
  "functions/reconciliation/reconciliation-start.ts": ["dynamodb"],
};

type Dependency = "dynamodb" | "eventbridge" | "kms" | "portal" | "secrets" | "sfn";

/** The source file whose presence in a bundle says it carries each dependency. */
const MARKER: Readonly<Record<Dependency, RegExp>> = {
  dynamodb: /@aws-sdk\/client-dynamodb\//,
  eventbridge: /@aws-sdk\/client-eventbridge\//,
  kms: /@aws-sdk\/client-kms\//,
  portal: /^functions\/portal\/portal-client\.ts$/,
  secrets: /@aws-sdk\/client-secrets-manager\//,
  sfn: /@aws-sdk\/client-sfn\//,
};

const discovered = await discoverHandlerEntries();
const entries = discovered.map(({ entry }) => entry);
/** Each function's environment (the benchmark's fixtures, which stand in for the template's tokens): some
 * validate it at load, as a cold start would. */
const environmentOf = (entry: string) => fixtureFor(entry, "http://127.0.0.1:9").environment;
const outDir = mkdtempSync(path.join(tmpdir(), "handler-bundles-"));
const built = new Map<string, BuiltBundle>();

beforeAll(async () => {
  for (const bundle of await Promise.all(entries.map((entry) => buildBundle(entry, "ours", { outDir })))) {
    built.set(bundle.entry, bundle);
  }
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("Lambda bundles", () => {
  it("find the webhook by its exported handler, whether or not the stack wires it in", () => {
    expect(entries).toContain("functions/webhook/crm-webhook.ts");
  });

  it("are each declared with what they may carry", () => {
    expect(entries.filter((entry) => !(entry in CARRIES))).toEqual([]);
  });

  it.each(entries)("%s stays under 500 KB minified", (entry) => {
    const bundle = built.get(entry)!;
    expect(bundle.bytes, `${entry} bundles to ${bundle.bytes} bytes`).toBeLessThan(MAX_MINIFIED_BYTES);
  });

  // 349.8 KB after issue 17 (402 KB while it published directly), then the KMS client that encrypts the run's
  // candidates and planned repairs before they are stored (issue 15, +31 KB): over the benchmark's 350 KB target.
  // OPEN: to get back under it, the listing would store fingerprints only and the repair re-find each key in the
  // portal's listing by fingerprint (no KMS in the listing), or shed 31 KB elsewhere.
  it("keeps the reconciliation listing within 385 KB (350 KB target + the KMS client of key custody)", () => {
    const bundle = built.get("functions/reconciliation/reconciliation-list-keys.ts")!;
    expect(bundle.bytes).toBeLessThanOrEqual(385_000);
  });

  it.each(entries)(
    "%s imports no package at load that the Lambda runtime lacks (only lazy import()s stay external)",
    (entry) => {
      expect(built.get(entry)!.loadTimeExternals).toEqual([]);
    },
  );

  it.each(entries)("%s loads as an ES module exporting its handler", async (entry) => {
    const saved = { ...process.env };
    Object.assign(process.env, environmentOf(entry));
    try {
      const module = (await import(pathToFileURL(built.get(entry)!.file).href)) as { handler?: unknown };
      expect(typeof module.handler).toBe("function");
    } finally {
      process.env = saved;
    }
  });

  it.each(entries)("%s has no local-only branch: it never looks for LOCAL_EVENTS_FILE", (entry) => {
    // The local stack's bus endpoint writes the events file from PutEvents; production code knows no file sink.
    expect(readFileSync(built.get(entry)!.file, "utf8")).not.toContain("LOCAL_EVENTS_FILE");
  });

  it.each(entries)("%s carries exactly the clients its function uses, and no zod locale", (entry) => {
    const { inputs } = built.get(entry)!;
    const carried = (Object.keys(MARKER) as Dependency[]).filter((dependency) =>
      inputs.some((input) => MARKER[dependency].test(input)),
    );
    expect(carried).toEqual([...(CARRIES[entry] ?? [])].sort());
    expect(inputs.filter((input) => input.includes("zod/v4/locales/"))).toEqual([]);
  });
});
