// Keeps the handlers' log lines and EMF metrics (one JSON line each) off the terminal while the benchmark runs,
// counting their bytes: on AWS they are what CloudWatch Logs ingests and bills.
export interface QuietOutput {
  /** Bytes the handlers wrote since the start. */
  bytesWritten(): number;
  /** Writes to the real stderr (progress lines). */
  progress(line: string): void;
  restore(): void;
}

export function silenceOutput(): QuietOutput {
  const original = { out: process.stdout.write, err: process.stderr.write };
  let bytes = 0;
  const swallow = (chunk: unknown, ...rest: unknown[]) => {
    bytes +=
      typeof chunk === "string" ? Buffer.byteLength(chunk) : ((chunk as Uint8Array | undefined)?.length ?? 0);
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  };
  process.stdout.write = swallow as typeof process.stdout.write;
  process.stderr.write = swallow as typeof process.stderr.write;
  return {
    bytesWritten: () => bytes,
    progress: (line) => {
      original.err.call(process.stderr, `${line}\n`);
    },
    restore: () => {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    },
  };
}
