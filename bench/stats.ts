// Small statistics helpers for the benchmarks: percentiles over recorded latencies.
import type { CpuPerTransfer } from './cpu-breakdown.js';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface LoadResult {
  mode: string;
  concurrency: number;
  requests: number;
  ok: number;
  failed: number;
  seconds: number;
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** CPU per signed transfer by process and the appliance's stage times (filled in by bench/run.ts). */
  cpu?: CpuPerTransfer;
  /** CPU of the load generator itself per signed transfer, in µs. */
  load_cpu_us?: number;
}

export function summarize(mode: string, concurrency: number, latenciesMs: number[], failed: number, seconds: number): LoadResult {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    mode,
    concurrency,
    requests: latenciesMs.length + failed,
    ok: latenciesMs.length,
    failed,
    seconds: round(seconds, 3),
    per_s: round(latenciesMs.length / seconds, 1),
    p50_ms: round(percentile(sorted, 50), 3),
    p99_ms: round(percentile(sorted, 99), 3),
  };
}

/**
 * Relative change of a series over its span, from a least-squares line through it: (fit at the last
 * point − fit at the first) / fit at the first. One noisy sample at either end moves it far less than a
 * last-versus-first comparison does, while a steady climb shows in full.
 */
export function trendChange(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  ys.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  });
  const slope = sxy / sxx;
  const first = meanY - slope * meanX;
  const last = meanY + slope * meanX;
  return (last - first) / first;
}
