// Shared helpers for the nn tests: float64 parameters, fixed random weights, assertions.
import assert from "node:assert/strict";
import { np, random, type Array } from "../../src/engine/jax.js";
import type { GradCheckResult } from "../../src/engine/gradcheck.js";

/** Fixed N(0,1) float64 weights for a loss Σ out ⊙ w (sampled in float32, then cast). */
export function fixedWeights(seed: number, shape: number[]): Array {
  return random.normal(random.key(seed), shape).astype(np.float64);
}

/** Fixed N(0,1) float64 input. */
export const randomInput = fixedWeights;

/** int32 array from nested JS numbers. */
export function ints(values: number[], shape: number[]): Array {
  return np.array(Int32Array.from(values), { dtype: np.int32 }).reshape(shape);
}

/** Assert a gradient check passed, printing the worst leaf when it did not. */
export function assertGradOk(result: GradCheckResult, tol = 1e-4): void {
  if (process.env.GRADCHECK_LOG) {
    const checked = result.leaves.reduce((n, l) => n + l.coords.length, 0);
    console.log(`gradcheck: max rel ${result.maxRelError.toExponential(2)} at ${result.worst} (${checked} coords, tiny ${result.tiny.toExponential(1)})`);
  }
  const worst = result.leaves.find((l) => l.path === result.worst);
  assert.ok(
    result.maxRelError < tol,
    `max relative error ${result.maxRelError.toExponential(2)} ≥ ${tol} at ${result.worst}: ` +
      JSON.stringify(worst),
  );
}

/** Host copy of an array (consumes it). */
export async function host(x: Array): Promise<number[]> {
  return globalThis.Array.from(await x.data());
}

/** Max |a − b| over two host arrays of equal length. */
export function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** x·W for a host vector x and a row-major host matrix W: [len(x), cols]. */
export function vecMat(x: number[], W: number[], cols: number): number[] {
  return globalThis.Array.from({ length: cols }, (_, j) => x.reduce((s, xi, i) => s + xi * W[i * cols + j], 0));
}

/** float64 Array from host values. */
export function f64(values: number[], shape: number[]): Array {
  return np.array(Float64Array.from(values), { dtype: np.float64 }).reshape(shape);
}
