/** Percentiles of a sample in milliseconds, rounded to 0.01 ms. */
export function percentiles(samples: number[]): { p50: number; p99: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(at(0.5)), p99: round(at(0.99)), min: round(sorted[0] ?? 0), max: round(sorted[sorted.length - 1] ?? 0) };
}
