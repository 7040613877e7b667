// `npm run demo` is part of CI: the real script, on its own fresh local stack, must see every expected outcome.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../lib/handler-function.js";

describe("npm run demo", () => {
  it("sees every expected outcome and exits 0", async () => {
    const demo = spawn("npm", ["run", "demo"], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    demo.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    demo.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });

    const [code] = await once(demo, "exit");

    expect(output).toMatch(/All \d+ expected outcomes happened\.\n$/);
    expect(output).not.toContain("✗");
    // Issue 15: the demo ends by scanning every item, attribute and index of its table for every issued key.
    expect(output).toContain("nor any 8-character run of one");
    expect(code).toBe(0);
  }, 300_000);
});
