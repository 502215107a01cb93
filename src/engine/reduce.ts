// Reductions that dodge a jax-js 0.1.25 jit(grad) bug: in float64, the gradient of
// `sum(a·b, axis).mean()` (or `.sum().div(n)`), with a and b both depending on the differentiated
// input, comes out wrong under jit on wasm (silently) and throws "bufidx out of bounds" on cpu;
// eager grad is right, float32 was right in every case tried, and so is scaling before the last
// reduction. Pinned in test/engine/jax-bugs.test.ts.
import type { Array } from "./jax.js";

/** The mean of every element, as Σ (x / n): the scale goes before the reduction. Consumes `x`. */
export function meanAll(x: Array): Array {
  return x.mul(1 / x.size).sum();
}
