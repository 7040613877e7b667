// A CustomerKey is shown only as `…W2HD #3f9a1c` (maskCustomerKey) or, where its fingerprint is not at hand,
// `…W2HD` (maskKeyTail, redactCustomerKeys): never through maskSecret, whose `QJXZ…W2HD` reveals half the key
// (docs/architecture.md §4 invariant 13, issue 15). Read at the source level, since every output is built there.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const projectRoot = path.resolve(import.meta.dirname, "../..");
const SOURCE_DIRS = ["functions", "ops", "local", "bench", "bin", "lib"];

/**
 * Files that may call maskSecret, and why: each masks portal credentials or a webhook secret with it, never a
 * CustomerKey (the calls below are checked for that too).
 */
const CREDENTIAL_MASKERS = new Set([
  "functions/platform/mask.ts",
  "bin/local.ts",
  "bench/chaos/secret-scan.ts",
]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(projectRoot, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    // Generated, not source: `npm run bench:bundles` leaves its bundles in bench/.work (gitignored).
    if (entry.isDirectory() && entry.name.startsWith(".")) continue;
    if (entry.isDirectory()) out.push(...sourceFiles(relative));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(relative);
  }
  return out;
}

const sources = SOURCE_DIRS.flatMap(sourceFiles).map((file) => ({
  file,
  text: readFileSync(path.join(projectRoot, file), "utf8"),
}));

describe("CustomerKey masking at the source", () => {
  it("finds the sources it reads", () => {
    expect(sources.length).toBeGreaterThan(200);
  });

  it("calls maskSecret only in the files that mask credentials", () => {
    const callers = sources.filter(({ text }) => /\bmaskSecret\(/.test(text)).map(({ file }) => file);
    expect(callers.filter((file) => !CREDENTIAL_MASKERS.has(file))).toEqual([]);
  });

  it("never passes a CustomerKey to maskSecret, even in those files", () => {
    const keyArguments = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/\bmaskSecret\(([^)]*)\)/g)]
        // A call, not the function's own signature (`maskSecret(value: string …)`).
        .filter(([, argument]) => !argument!.includes(":"))
        .filter(([, argument]) => /customerKey|CustomerKey|previous|\bkey\b|\bvalue\b/.test(argument!))
        .map(([call]) => `${file}: ${call}`),
    );
    expect(keyArguments).toEqual([]);
  });

  it("writes no example of the old `QJXZ…W2HD` shape into code or docs as a CustomerKey's shown form", () => {
    const docs = ["README.md", ...readdirSync(path.join(projectRoot, "docs")).map((f) => `docs/${f}`)]
      .filter((file) => file.endsWith(".md"))
      .map((file) => ({ file, text: readFileSync(path.join(projectRoot, file), "utf8") }));
    const offending = [...sources, ...docs].flatMap(({ file, text }) =>
      text
        .split("\n")
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => /(?<![A-Za-z0-9])[A-Z0-9]{4}(?:…|\.\.\.)[A-Z0-9]{4}(?![A-Za-z0-9])/.test(line))
        // Describing the old form, to refuse or migrate it, is allowed where the line says so.
        .filter(({ line }) => !/old|legacy|before|formerly|refus|change of form/i.test(line))
        .map(({ at }) => at),
    );
    expect(offending).toEqual([]);
  });
});
