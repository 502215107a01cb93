// Statistics over seeds: means, spreads, percentile-bootstrap confidence intervals (seeded, so a
// report is reproducible), and the first point of a learning curve that reaches a target.
import { SeededRng } from "../common/seeded-rng.js";

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("mean of no values");
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** The q-quantile (0..1) of sorted values, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no values");
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export interface Interval {
  mean: number;
  /** Percentile-bootstrap interval of the mean at `level` (the resampling is seeded). */
  lo: number;
  hi: number;
  std: number;
  n: number;
}

/**
 * The mean of `xs` with a percentile-bootstrap confidence interval: `resamples` resamples of the
 * values with replacement. With 2–3 seeds the interval is coarse (it cannot leave the range of
 * the values); it is reported with the per-seed values, never alone.
 */
export function bootstrapMean(xs: readonly number[], opts: { level?: number; resamples?: number; seed?: number } = {}): Interval {
  const level = opts.level ?? 0.95, resamples = opts.resamples ?? 10_000;
  const m = mean(xs);
  if (xs.length === 1) return { mean: m, lo: m, hi: m, std: 0, n: 1 };
  const rng = SeededRng.of(opts.seed ?? 0, 7);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += xs[rng.int(0, xs.length - 1)];
    means[r] = sum / xs.length;
  }
  const sorted = globalThis.Array.from(means).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { mean: m, lo: quantile(sorted, tail), hi: quantile(sorted, 1 - tail), std: std(xs), n: xs.length };
}

/** bootstrapMean of `xs`, or null when there are no values. */
export const bootstrapMeanOrNull = (xs: readonly number[]): Interval | null => (xs.length ? bootstrapMean(xs) : null);

/** The mean of `xs`, or null when there are no values. */
export const meanOrNull = (xs: readonly number[]): number | null => (xs.length ? mean(xs) : null);

/** The first point (in curve order) whose value reaches `target`, or null when none does. */
export function firstReaching<P>(points: readonly P[], value: (p: P) => number, target: number): P | null {
  for (const p of points) if (value(p) >= target) return p;
  return null;
}

// Spearman lives in common/ (evaluation reports it too); re-exported here with the other statistics.
export { spearman } from "../common/rank-correlation.js";

/**
 * mean(num) / mean(den) over paired samples (seed i of one arm with seed i of the other), with a
 * percentile-bootstrap interval that resamples the pairs (seeded). One pair: no interval (lo = hi).
 */
export function bootstrapRatio(num: readonly number[], den: readonly number[], opts: { level?: number; resamples?: number; seed?: number } = {}): { value: number; lo: number; hi: number } {
  if (num.length !== den.length || num.length === 0) throw new Error(`bootstrapRatio needs equally many pairs (> 0), got ${num.length} and ${den.length}`);
  const value = mean(num) / mean(den);
  if (num.length === 1) return { value, lo: value, hi: value };
  const level = opts.level ?? 0.95, resamples = opts.resamples ?? 10_000;
  const rng = SeededRng.of(opts.seed ?? 0, 11);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let a = 0, b = 0;
    for (let i = 0; i < num.length; i++) {
      const j = rng.int(0, num.length - 1);
      a += num[j];
      b += den[j];
    }
    ratios[r] = a / b;
  }
  const sorted = globalThis.Array.from(ratios).sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return { value, lo: quantile(sorted, tail), hi: quantile(sorted, 1 - tail) };
}
