// Sends what the functions print (Powertools JSON logs, EMF metric lines, warnings) to a file, as Lambda sends it
// to CloudWatch Logs, so the terminal keeps only the local stack's own lines. The handlers are not changed.
import { closeSync, openSync, writeSync } from "node:fs";

export interface FunctionOutputCapture {
  readonly file: string;
  /** Writes to the real terminal, past the capture. */
  readonly terminal: { out(text: string): void; err(text: string): void };
  /** Puts process.stdout/stderr back and closes the file. */
  restore(): void;
}

type Write = typeof process.stdout.write;

/** Redirects process.stdout and process.stderr writes (console.*, Powertools' own Console) into `file`. */
export function captureFunctionOutput(file: string): FunctionOutputCapture {
  // Synchronous writes: nothing is lost when the process exits right after a line.
  const fd = openSync(file, "w", 0o600);
  const originalOut = process.stdout.write;
  const originalErr = process.stderr.write;
  const toFile = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    if (typeof chunk === "string") writeSync(fd, chunk);
    else writeSync(fd, chunk);
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }) as Write;
  process.stdout.write = toFile;
  process.stderr.write = toFile;
  let restored = false;
  return {
    file,
    terminal: {
      out: (text) => void originalOut.call(process.stdout, text),
      err: (text) => void originalErr.call(process.stderr, text),
    },
    restore: () => {
      if (restored) return;
      restored = true;
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
      closeSync(fd);
    },
  };
}
