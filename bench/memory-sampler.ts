// Samples this process's memory while something runs, keeping the peaks.
export interface MemoryPeaks {
  readonly baselineRssMb: number;
  readonly baselineHeapUsedMb: number;
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
  readonly samples: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export function startMemorySampler(intervalMs = 25): { stop(): MemoryPeaks } {
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  let samples = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    samples += 1;
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return {
        baselineRssMb: mb(baseline.rss),
        baselineHeapUsedMb: mb(baseline.heapUsed),
        peakRssMb: mb(peakRss),
        peakHeapUsedMb: mb(peakHeap),
        samples,
      };
    },
  };
}
