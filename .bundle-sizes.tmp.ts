import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildBundle } from "/work/wt-events/bench/lambda-bundles.js";
const outDir = mkdtempSync(path.join(tmpdir(), "bundle-sizes-"));
const entries = process.argv.slice(2);
for (const entry of entries) {
  const b = await buildBundle(entry, "ours", { outDir });
  console.log(`${entry}\t${b.bytes}`);
}
