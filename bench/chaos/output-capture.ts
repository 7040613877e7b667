// Captures everything written to stdout/stderr while the stack runs in this process (the handlers' Powertools
// logs among it), so the run can scan it for leaked secrets instead of printing thousands of log lines.

export interface OutputCapture {
  /** Everything written so far, progress lines included. */
  text(): string;
  /** Runs `write` with the real stdout/stderr (progress lines); what it writes is still kept for the scan. */
  passThrough(write: () => void): void;
  /** Puts the real writers back. */
  restore(): void;
}

export function captureOutput(): OutputCapture {
  const chunks: string[] = [];
  const originalOut = process.stdout.write;
  const originalErr = process.stderr.write;
  let bypass = false;
  const keep = (stream: NodeJS.WriteStream, original: typeof originalOut) =>
    function write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      if (bypass) return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    };
  process.stdout.write = keep(process.stdout, originalOut) as typeof process.stdout.write;
  process.stderr.write = keep(process.stderr, originalErr) as typeof process.stderr.write;
  let restored = false;
  return {
    text: () => chunks.join(""),
    passThrough: (write) => {
      bypass = true;
      try {
        write();
      } finally {
        bypass = false;
      }
    },
    restore: () => {
      if (restored) return;
      restored = true;
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    },
  };
}
