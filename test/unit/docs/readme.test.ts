// The README's reference tables stay complete: every context value, local-stack variable, stack output and
// alarm runbook entry the code defines is documented on the front page.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTEXT_KEYS } from "../../../lib/build-app.js";
import { PROJECT_ROOT } from "../../../lib/handler-function.js";
import { LOCAL_STACK_VARIABLES } from "../../../local/local-config.js";
import { STACK_OUTPUTS } from "../../../local/local-stack.js";

const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
/** A table row whose first cell is `name` in code, however the table is aligned. */
const hasRow = (name: string) => new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, "m").test(readme);
const runbook = readFileSync(path.join(PROJECT_ROOT, "docs/runbook.md"), "utf8");

describe("README.md", () => {
  it("documents every CDK context value in the deploy table and the deploy command", () => {
    const missing = Object.values(CONTEXT_KEYS).filter(
      (key) => !hasRow(key) || !readme.includes(`-c ${key}=`),
    );
    expect(missing).toEqual([]);
  });

  it("documents every local stack variable in the configure table", () => {
    expect(LOCAL_STACK_VARIABLES.filter((name) => !hasRow(name))).toEqual([]);
  });

  it("names every stack output", () => {
    expect(Object.values(STACK_OUTPUTS).filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it("links every alarm's runbook entry", () => {
    const anchors = [...runbook.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]!);
    expect(anchors.length).toBeGreaterThan(0);
    expect(anchors.filter((anchor) => !readme.includes(`(docs/runbook.md#${anchor})`))).toEqual([]);
  });
});
