// Captures what a Powertools Logger writes (it writes to process.stdout/stderr directly), so tests can assert
// on log lines without printing them.
import { afterEach, beforeEach, vi } from "vitest";

/** Installs the capture around every test of the calling file; read `.text()` or `.records()` in a test. */
export function captureProcessOutput(): { text: () => string; records: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  beforeEach(() => {
    chunks.length = 0;
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
        chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const text = () => chunks.join("");
  return {
    text,
    records: () =>
      text()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
